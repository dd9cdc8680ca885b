// The conversation list: unread and mention badges, muted dimmed, newest activity first, a filter box.
// The server renders it; live events and resyncs keep the badges right without a reload.
import { api, el, t } from "./util.js";

const PAGE = 200;

export class ConversationList {
  constructor(root, { me, currentId }) {
    this.root = root;
    this.me = me;
    this.currentId = currentId;
    this.pending = new Map();
    const filter = root.querySelector(".chat-filter input");
    if (filter) filter.addEventListener("input", () => this.filter(filter.value));
  }

  item(id) {
    return this.root.querySelector(`.conv-item[data-conv-id="${id}"]`);
  }

  filter(text) {
    const needle = text.trim().toLowerCase();
    for (const li of this.root.querySelectorAll(".conv-groups li")) {
      const name = (li.querySelector(".conv-name")?.textContent || "").toLowerCase();
      li.hidden = needle !== "" && !name.includes(needle);
    }
    for (const group of this.root.querySelectorAll(".conv-group")) {
      group.hidden = needle !== "" && !group.querySelector("li:not([hidden])");
    }
  }

  setBadges(id, unread, mentions, muted) {
    const item = this.item(id);
    if (!item) return;
    item.dataset.unread = String(unread);
    item.dataset.mentions = String(mentions);
    if (muted !== undefined) {
      item.dataset.muted = muted ? "1" : "0";
      item.classList.toggle("is-muted", muted);
    }
    const unreadBadge = item.querySelector(".unread-badge");
    const mentionBadge = item.querySelector(".mention-badge");
    unreadBadge.textContent = unread > 99 ? "99+" : String(unread);
    unreadBadge.hidden = unread <= 0;
    unreadBadge.setAttribute("aria-label", t("unreadCount").replace("%s", unread));
    mentionBadge.textContent = `@${mentions}`;
    mentionBadge.hidden = mentions <= 0;
    mentionBadge.setAttribute("aria-label", t("mentionCount").replace("%s", mentions));
    item.classList.toggle("is-unread", unread > 0);
    this.updateTotal();
  }

  updateTotal() {
    let total = 0;
    for (const item of this.root.querySelectorAll(".conv-item")) {
      if (item.dataset.muted !== "1") total += Number(item.dataset.unread || 0);
    }
    // The tab's title counts unread messages, as chat apps do: "(3) チャット".
    if (this.baseTitle === undefined) this.baseTitle = document.title.replace(/^\(\d+\+?\) /, "");
    document.title = total ? `(${total > 99 ? "99+" : total}) ${this.baseTitle}` : this.baseTitle;
    const nav = document.querySelector('.nav-item[data-section="chat"]');
    if (!nav) return;
    let badge = nav.querySelector(".nav-unread");
    if (!badge) {
      badge = el("span", { class: "badge badge-danger nav-unread" });
      nav.append(badge);
    }
    badge.textContent = total > 99 ? "99+" : String(total);
    badge.hidden = total === 0;
  }

  // Newest activity first within its group.
  bump(id, when) {
    const item = this.item(id);
    if (!item) return;
    item.dataset.activity = when;
    const li = item.closest("li");
    const ul = li.parentElement;
    for (const other of ul.children) {
      if (other === li) break;
      const otherWhen = other.querySelector(".conv-item")?.dataset.activity || "";
      if (otherWhen < when) {
        ul.insertBefore(li, other);
        return;
      }
    }
  }

  // A message in a conversation other than the one being read: the badges follow from the event itself (no
  // request per message); a resync or a read on another device brings the exact figures.
  onMessage(msg, { reading }) {
    const item = this.item(msg.conversation);
    if (!item) {
      this.refreshOne(msg.conversation); // a conversation new to this list
      return;
    }
    this.bump(msg.conversation, msg.created_at);
    if (reading || msg.author === this.me) return;
    const unread = Number(item.dataset.unread || 0) + 1;
    const mentionsMe = (msg.mentions || []).includes(this.me) || (msg.html || "").includes('class="mention-all"');
    const mentions = Number(item.dataset.mentions || 0) + (mentionsMe ? 1 : 0);
    this.setBadges(msg.conversation, unread, mentions);
  }

  // `conversation.members`: who joined or left (never the whole list).
  onMembers(change) {
    if ((change.removed || []).includes(this.me)) this.remove(change.conversation);
    else if ((change.added || []).includes(this.me)) this.refreshOne(change.conversation);
  }

  refreshOne(id) {
    if (this.pending.has(id)) return;
    this.pending.set(
      id,
      setTimeout(async () => {
        this.pending.delete(id);
        try {
          this.apply(await api(`/api/v1/conversations/${id}`));
        } catch (error) {
          if (error.status === 404) this.remove(id); // left, or removed by an owner
        }
      }, 400),
    );
  }

  apply(conv) {
    if (!this.item(conv.id)) return this.add(conv);
    this.setBadges(conv.id, conv.id === this.currentId ? 0 : conv.unread, conv.mentions, conv.muted);
    const name = this.item(conv.id).querySelector(".conv-name");
    if (conv.title && name.textContent !== conv.title) name.textContent = conv.title;
  }

  add(conv) {
    const group = this.root.querySelector(`.conv-group[data-kind="${conv.kind === "channel" ? "channel" : conv.kind}"]`);
    const list = group ? group.querySelector("ul") : null;
    if (!list) return;
    const link = el(
      "a",
      {
        class: "conv-item",
        href: conv.url || `/chat/c/${conv.id}/`,
        "data-conv-id": conv.id,
        "data-activity": conv.last_message_at || conv.created_at || "",
        "data-unread": "0",
        "data-mentions": "0",
        "data-muted": conv.muted ? "1" : "0",
      },
      el("span", { class: "conv-name", text: conv.title || conv.name }),
      el("span", { class: "mention-badge", hidden: true }),
      el("span", { class: "unread-badge", hidden: true }),
    );
    list.prepend(el("li", {}, link));
    group.hidden = false;
    this.setBadges(conv.id, conv.unread, conv.mentions, conv.muted);
  }

  remove(id) {
    const item = this.item(id);
    if (item) item.closest("li").remove();
    this.updateTotal();
  }

  // Every conversation, page by page (GET /api/v1/conversations answers {results, more}, at most 200 a
  // page): a person in 300 conversations gets all 300.
  async refresh() {
    const seen = new Set();
    let offset = 0;
    for (;;) {
      let page;
      try {
        page = await api(`/api/v1/conversations?limit=${PAGE}&offset=${offset}`);
      } catch {
        return;
      }
      for (const conv of page.results) {
        seen.add(conv.id);
        this.apply(conv);
      }
      if (!page.more || !page.results.length) break;
      offset += page.results.length;
    }
    // The whole list was read: a conversation shown here and absent there was left (or archived).
    for (const item of this.root.querySelectorAll(".conv-item[data-conv-id]")) {
      const id = Number(item.dataset.convId);
      if (!seen.has(id) && id !== this.currentId) this.remove(id);
    }
    this.updateTotal();
  }
}
