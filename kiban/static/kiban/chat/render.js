// One message as a list item. The template kiban/chat/templates/chat/_message.html draws the same markup for
// the page without JavaScript; keep the two in step.
import { el, fileSize, icon, messageTime, t } from "./util.js";
import { renderCard } from "./card.js";

export const COMMON_EMOJI = ["👍", "🙏", "😊", "🎉", "👀", "✅", "🙇", "❤️"];

export function authorName(msg, names) {
  if (msg.author_name) return msg.author_name;
  if (msg.bot_name) return msg.bot_name;
  if (msg.author && names.has(msg.author)) return names.get(msg.author);
  return msg.author || t("bot");
}

// Reactions have one shape everywhere (kiban/chat/schemas.py ReactionOut): [{emoji, count, users}].
export function reactionList(msg, me) {
  return (msg.reactions || []).map((r) => ({ ...r, mine: r.users.includes(me) }));
}

function attachmentNode(att) {
  const url = att.url || att.download_url;
  if (att.thumbnail_url || (att.content_type || "").startsWith("image/")) {
    return el(
      "a",
      { class: "attachment-img", href: url, target: "_blank", rel: "noopener" },
      el("img", { src: att.thumbnail_url || url, alt: att.name, loading: "lazy" }),
    );
  }
  return el(
    "a",
    { class: "attachment-file", href: url, download: att.name },
    icon("file"),
    el("span", { class: "att-name", text: att.name }),
    el("span", { class: "att-size", text: fileSize(att.size || 0) }),
  );
}

export function renderReactions(msg, me) {
  const bar = el("div", { class: "reactions" });
  for (const r of reactionList(msg, me)) {
    if (!r.count) continue;
    bar.append(
      el(
        "button",
        {
          type: "button",
          class: r.mine ? "reaction is-mine" : "reaction",
          "data-emoji": r.emoji,
          "aria-pressed": r.mine ? "true" : "false",
          title: r.users.join(", "),
        },
        el("span", { text: r.emoji }),
        el("span", { class: "reaction-count", text: String(r.count) }),
      ),
    );
  }
  return bar;
}

export function renderMessage(msg, { me, names, inThread = false }) {
  const name = authorName(msg, names);
  const li = el("li", {
    class: "msg",
    id: `m${msg.seq}`,
    "data-id": msg.id,
    "data-seq": msg.seq,
    "data-author": msg.author || "",
    tabindex: "-1",
  });
  li.append(el("span", { class: "avatar", "aria-hidden": "true", text: (name || "?").slice(0, 1) }));
  const main = el("div", { class: "msg-main" });
  const head = el(
    "div",
    { class: "msg-head" },
    el("span", { class: "msg-author", text: name }),
  );
  // A webhook's post (no author) always says it is a bot, whatever name it gives itself.
  if (!msg.author) head.append(" ", el("span", { class: "badge msg-bot", text: t("bot") }));
  head.append(el("time", { class: "msg-time", datetime: msg.created_at, text: messageTime(msg.created_at) }));
  if (msg.edited_at && !msg.deleted) head.append(el("span", { class: "msg-edited", text: t("edited") }));
  if (msg.pinned || msg.pinned_at) head.append(el("span", { class: "msg-pinned", text: t("pinned") }));
  main.append(head);

  if (msg.deleted) {
    main.append(el("div", { class: "msg-body msg-tombstone", text: t("deleted") }));
    li.append(main);
    return li;
  }
  const body = el("div", { class: "msg-body" });
  // Sanitised on the server (nh3) when the message was written: the one place HTML goes in.
  body.innerHTML = msg.html || "";
  main.append(body);
  if (msg.card) main.append(renderCard(msg.card));
  if (msg.attachments && msg.attachments.length) {
    main.append(el("div", { class: "attachments" }, msg.attachments.map(attachmentNode)));
  }
  main.append(renderReactions(msg, me));
  if (!inThread && !msg.thread_root && msg.reply_count) {
    main.append(
      el("button", {
        type: "button",
        class: "msg-thread-link",
        "data-action": "thread",
        text: t("replies").replace("%s", msg.reply_count),
      }),
    );
  }
  const own = msg.author && msg.author === me;
  const actions = el("div", { class: "msg-actions", role: "toolbar", "aria-label": t("actions") });
  const button = (action, label, symbol) =>
    el("button", { type: "button", "data-action": action, title: label, "aria-label": label }, symbol);
  actions.append(button("react", t("react"), icon("smile")));
  if (!inThread && !msg.thread_root) actions.append(button("thread", t("reply"), icon("reply")));
  if (own) actions.append(button("edit", t("edit"), icon("pencil")));
  if (own) actions.append(button("delete", t("delete"), icon("trash")));
  actions.append(button("pin", msg.pinned || msg.pinned_at ? t("unpin") : t("pin"), icon("pin")));
  actions.append(button("link", t("copyLink"), icon("link")));
  main.append(actions);
  li.append(main);
  return li;
}

export function renderEmojiPicker() {
  return el(
    "div",
    { class: "emoji-picker", role: "group", "aria-label": t("react") },
    COMMON_EMOJI.map((e) => el("button", { type: "button", "data-pick": e, "aria-label": e, text: e })),
  );
}
