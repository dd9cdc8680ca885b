// The chat page's behaviour (progressive enhancement: the server already drew the list and the last page).
// It loads older history on scroll, applies live events in seq order, keeps badges current, marks the
// conversation read when its newest message is seen, and falls back to polling when no socket can be held.
import { Composer } from "./composer.js";
import { ConversationList } from "./list.js";
import { renderEmojiPicker } from "./render.js";
import { ThreadPanel } from "./thread.js";
import { Timeline } from "./timeline.js";
import { api, el, t } from "./util.js";

const chat = document.querySelector("[data-chat]");
if (chat) start(chat);

function start(root) {
  const me = root.dataset.me;
  const conversationId = Number(root.dataset.conversation) || null;
  const list = new ConversationList(root, { me, currentId: conversationId });
  // Messages carry their author's name; the page no longer embeds the member list (a channel can hold
  // thousands): the info panel pages through it.
  const names = new Map();
  const live = document.getElementById("chat-live");
  let timeline = null;
  let thread = null;
  let readSeq = Number(root.dataset.lastRead || 0);

  const status = document.getElementById("chat-status");
  function setStatus(state) {
    if (!status) return;
    root.dataset.realtime = state;
    status.hidden = state === "live";
    status.textContent = state === "offline" ? t("offline") : t("polling");
    status.classList.toggle("is-offline", state === "offline");
  }

  if (conversationId) {
    const scroller = root.querySelector(".timeline");
    const messages = root.querySelector(".timeline .messages");
    timeline = new Timeline({ conversationId, me, names, scroller, list: messages });
    const target = Number(new URLSearchParams(location.search).get("seq")) || null;

    const markRead = () => {
      if (document.visibilityState !== "visible" || !timeline.atBottom()) return;
      const seq = timeline.newestSeq();
      if (seq <= readSeq) return;
      readSeq = seq;
      list.setBadges(conversationId, 0, 0);
      api(`/api/v1/conversations/${conversationId}/read`, { method: "POST", body: { seq } }).catch(() => {
        readSeq = 0; // try again at the next chance
      });
    };

    // New messages below while the person reads further up: a button takes them down (and reads them).
    const jump = el("button", { type: "button", class: "jump-new btn btn-primary", hidden: true, text: t("newMessages") });
    jump.addEventListener("click", () => {
      timeline.scrollToBottom();
      jump.hidden = true;
      markRead();
    });
    scroller.after(jump);

    timeline.addEventListener("appended", (event) => {
      const msg = event.detail;
      list.bump(conversationId, msg.created_at);
      if (!timeline.atBottom() && msg.author !== me && !msg.thread_root) jump.hidden = false;
      if (live && msg.author !== me && !msg.thread_root) {
        const who = msg.author_name || names.get(msg.author) || msg.author || "";
        live.textContent = `${who}: ${msg.body.slice(0, 140)}`;
      }
      markRead();
    });
    timeline.addEventListener("loaded", () => {
      root.dataset.ready = "1";
      markRead();
    });
    scroller.addEventListener("scroll", () => {
      if (scroller.scrollTop < 200) timeline.loadOlder();
      if (timeline.atBottom()) jump.hidden = true;
      markRead();
    }, { passive: true });
    document.addEventListener("visibilitychange", markRead);
    window.addEventListener("focus", markRead);

    const older = root.querySelector(".timeline-older");
    if (older) older.hidden = true; // the no-script link; scrolling does it now

    const form = root.querySelector(".chat-pane > form.composer");
    if (form) new Composer(form, { conversationId, onSent: (msg) => timeline.receive(msg) });
    const panel = root.querySelector(".thread-panel");
    if (panel) thread = new ThreadPanel(panel, { chat: root, timeline, me, names, conversationId });
    bindMessageActions(root, { timeline, thread, me, conversationId });
    root.addEventListener("edit-last", () => {
      const own = [...root.querySelectorAll(".chat-pane .messages li.msg")].filter(
        (li) => li.dataset.author === me && !li.querySelector(".msg-tombstone"),
      );
      const last = own[own.length - 1];
      const msg = last && timeline.byId.get(Number(last.dataset.id));
      if (msg) startEdit(last, msg, timeline);
    });
    timeline.loadInitial(target).catch((error) => {
      root.dataset.ready = "error";
      console.warn("chat: could not load messages", error);
    });
  } else {
    root.dataset.ready = "1";
  }
  list.updateTotal();
  connectRealtime({ root, list, timeline, conversationId, setStatus });
}

// Who joined, left or became an owner of the open conversation: the heading's count follows, and a person
// who has just been handed ownership is told so.
function onMembersHere(change) {
  const count = document.querySelector("[data-member-count]");
  if (count) {
    const n = Math.max(Number(count.dataset.memberCount) + (change.added || []).length - (change.removed || []).length, 0);
    count.dataset.memberCount = String(n);
    count.textContent = t("memberCount").replace("%s", n);
  }
  const me = document.querySelector("[data-chat]")?.dataset.me;
  const live = document.getElementById("chat-live");
  if (me && (change.owners || []).includes(me) && !(change.added || []).includes(me) && live) {
    live.textContent = t("nowOwner");
    const status = document.getElementById("chat-owner-status");
    if (status) {
      status.textContent = t("nowOwner");
      status.hidden = false;
    }
  }
}

async function connectRealtime({ list, timeline, conversationId, setStatus }) {
  let stream;
  try {
    const realtime = await import("../realtime.js");
    stream = realtime.connect();
  } catch (error) {
    // Without the realtime client, poll: new messages still show within a few seconds.
    console.warn("chat: realtime client unavailable, polling", error);
    setStatus("polling");
    setInterval(() => {
      if (timeline) timeline.catchUp().catch(() => {});
      list.refresh();
    }, 4000);
    return;
  }
  const mine = (conv) => conversationId !== null && conv === conversationId;
  stream.addEventListener("message.created", (event) => {
    const msg = event.detail.message;
    const reading = mine(msg.conversation) && document.visibilityState === "visible";
    if (mine(msg.conversation)) timeline.receive(msg);
    else list.onMessage(msg, { reading });
  });
  const onChange = (event) => {
    const msg = event.detail.message;
    if (mine(msg.conversation)) timeline.update(msg);
  };
  stream.addEventListener("message.updated", onChange);
  stream.addEventListener("message.deleted", onChange);
  stream.addEventListener("reaction.added", (event) => {
    if (mine(event.detail.conversation)) timeline.reaction(event.detail);
  });
  stream.addEventListener("reaction.removed", (event) => {
    if (mine(event.detail.conversation)) timeline.reaction(event.detail);
  });
  stream.addEventListener("conversation.read", (event) => {
    // Read on another of this person's devices.
    const item = list.item(event.detail.conversation);
    if (item) list.refreshOne(event.detail.conversation);
  });
  stream.addEventListener("conversation.members", (event) => {
    list.onMembers(event.detail);
    if (mine(event.detail.conversation)) onMembersHere(event.detail);
  });
  for (const type of ["conversation.created", "conversation.updated"]) {
    // Events carry the shared fields only; unread counts and titles are personal: ask for ours.
    stream.addEventListener(type, (event) => list.refreshOne(event.detail.conversation.id));
  }
  stream.addEventListener("resync", () => {
    if (timeline) timeline.refresh().catch(() => {});
    list.refresh();
  });
  // The client does not resync on its first connection: whatever arrived between this page's own fetch
  // and the socket's hello (or the first poll) is fetched here, once per change of mode.
  let mode = null;
  const onStatus = (state) => {
    setStatus(state);
    if (state !== "offline" && state !== mode) {
      if (timeline) timeline.catchUp().catch(() => {});
      if (mode !== null) list.refresh();
    }
    mode = state === "offline" ? mode : state;
  };
  stream.addEventListener("status", (event) => onStatus(event.detail));
  if (stream.status !== "offline") onStatus(stream.status);
}

// Keyboard: in a message list, ↑/↓ move between messages (each shows its menu while focused, Tab
// enters it); End goes to the newest.
function bindKeyboard(root) {
  root.addEventListener("keydown", (event) => {
    const scroller = event.target.closest(".timeline");
    if (!scroller || event.target.closest("textarea, input")) return;
    const items = [...scroller.querySelectorAll("li.msg")];
    if (!items.length) return;
    const current = event.target.closest("li.msg");
    let next = null;
    if (event.key === "ArrowDown") next = current ? items[items.indexOf(current) + 1] : items[0];
    else if (event.key === "ArrowUp") next = current ? items[items.indexOf(current) - 1] : items[items.length - 1];
    else if (event.key === "End") next = items[items.length - 1];
    else return;
    if (!next) return;
    event.preventDefault();
    next.focus();
  });
}

function bindMessageActions(root, { timeline, thread, me, conversationId }) {
  bindKeyboard(root);
  root.addEventListener("click", async (event) => {
    const msgNode = event.target.closest("li.msg");
    if (!msgNode || !root.contains(msgNode)) return;
    const id = Number(msgNode.dataset.id);
    const msg = timeline.byId.get(id);
    const reactionButton = event.target.closest("button.reaction");
    const pick = event.target.closest("button[data-pick]");
    const actionButton = event.target.closest("[data-action]");
    try {
      if (reactionButton) {
        await toggleReaction(timeline, id, reactionButton.dataset.emoji, reactionButton.classList.contains("is-mine"));
      } else if (pick) {
        pick.closest(".emoji-picker").remove();
        const has = (msg?.reactions || []).some((r) => r.emoji === pick.dataset.pick && r.users.includes(me));
        await toggleReaction(timeline, id, pick.dataset.pick, has);
      } else if (actionButton) {
        await runAction(actionButton.dataset.action, { msgNode, msg, id, timeline, thread, conversationId });
      } else if (!event.target.closest("a, button, textarea, input")) {
        // A tap on a phone shows the message's menu (there is no hover).
        for (const open of root.querySelectorAll(".msg.is-menu-open")) {
          if (open !== msgNode) open.classList.remove("is-menu-open");
        }
        msgNode.classList.toggle("is-menu-open");
      }
    } catch (error) {
      alertError(msgNode, error);
    }
  });
}

// The answer carries the message's reactions: shown at once (the event that follows changes nothing).
async function toggleReaction(timeline, id, emoji, mine) {
  const result = mine
    ? await api(`/api/v1/messages/${id}/reactions/${encodeURIComponent(emoji)}`, { method: "DELETE" })
    : await api(`/api/v1/messages/${id}/reactions`, { method: "POST", body: { emoji } });
  if (result && Array.isArray(result.reactions)) timeline.update({ id, reactions: result.reactions });
}

async function runAction(action, { msgNode, msg, id, timeline, thread, conversationId }) {
  if (action === "react") {
    const existing = msgNode.querySelector(".emoji-picker");
    if (existing) {
      existing.remove();
    } else {
      const picker = renderEmojiPicker();
      picker.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          picker.remove();
          msgNode.querySelector('[data-action="react"]')?.focus();
        }
      });
      msgNode.querySelector(".msg-main").append(picker);
      picker.querySelector("button").focus();
    }
  } else if (action === "thread" && thread) {
    await thread.open(id);
  } else if (action === "edit" && msg) {
    startEdit(msgNode, msg, timeline);
  } else if (action === "delete") {
    if (!window.confirm(t("confirmDelete"))) return;
    const deleted = await api(`/api/v1/messages/${id}`, { method: "DELETE" });
    if (deleted && deleted.id) timeline.update(deleted);
  } else if (action === "pin" && msg) {
    const updated = await api(`/api/v1/messages/${id}/pin`, { method: msg.pinned ? "DELETE" : "POST" });
    if (updated && updated.id) timeline.update(updated);
  } else if (action === "link") {
    const url = `${location.origin}/chat/c/${conversationId}/?seq=${msgNode.dataset.seq}`;
    await navigator.clipboard.writeText(url).catch(() => window.prompt(t("copyLink"), url));
  }
}

function startEdit(msgNode, msg, timeline) {
  const body = msgNode.querySelector(".msg-body");
  if (!body || msgNode.querySelector(".msg-edit")) return;
  const textarea = el("textarea", { "aria-label": t("edit") });
  textarea.value = msg.body;
  const form = el(
    "form",
    { class: "msg-edit" },
    textarea,
    el(
      "div",
      { class: "btn-row" },
      el("button", { type: "submit", class: "btn btn-primary", text: t("save") }),
      el("button", { type: "button", class: "btn", "data-cancel": "1", text: t("cancel") }),
    ),
  );
  body.hidden = true;
  body.after(form);
  textarea.focus();
  // The message may have been redrawn meanwhile (the form moves along): find its body afresh.
  const done = () => {
    const li = form.closest("li.msg");
    form.remove();
    const current = li && li.querySelector(".msg-body");
    if (current) current.hidden = false;
  };
  form.querySelector("[data-cancel]").addEventListener("click", done);
  textarea.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Escape") {
      event.preventDefault();
      done();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const updated = await api(`/api/v1/messages/${msg.id}`, { method: "PATCH", body: { body: textarea.value } });
      timeline.update(updated);
    } catch (error) {
      alertError(msgNode, error);
      return;
    }
    done();
  });
}

function alertError(msgNode, error) {
  const note = el("p", { class: "composer-error", role: "alert", text: error.message || t("sendFailed") });
  msgNode.querySelector(".msg-main")?.append(note);
  setTimeout(() => note.remove(), 6000);
}
