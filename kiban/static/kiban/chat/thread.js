// The thread panel: a root message and its replies, with a composer that posts into the thread. Beside the
// conversation on a PC, over it on a phone. Replies arrive through the conversation's timeline, which has
// already put them in seq order without gaps.
import { Composer } from "./composer.js";
import { renderMessage } from "./render.js";
import { keepEditor, sortBySeq } from "./timeline.js";
import { api, results, t } from "./util.js";

export class ThreadPanel {
  constructor(panel, { chat, timeline, me, names, conversationId }) {
    this.panel = panel;
    this.chat = chat;
    this.timeline = timeline;
    this.me = me;
    this.names = names;
    this.conversationId = conversationId;
    this.rootId = null;
    this.shown = new Set();
    this.rootBox = panel.querySelector(".thread-root");
    this.list = panel.querySelector(".thread-replies");
    this.count = panel.querySelector(".thread-count");
    this.composer = new Composer(panel.querySelector("form.composer"), {
      conversationId,
      onSent: (msg) => timeline.receive(msg),
    });
    panel.querySelector("[data-action=close-thread]").addEventListener("click", () => this.close());
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented) this.close();
    });
    timeline.addEventListener("appended", (event) => this.onAppended(event.detail));
    timeline.addEventListener("updated", (event) => this.onUpdated(event.detail));
  }

  async open(rootId) {
    this.rootId = rootId;
    this.composer.threadRoot = rootId;
    this.shown.clear();
    this.list.replaceChildren();
    this.rootBox.replaceChildren();
    this.panel.hidden = false;
    this.chat.classList.add("has-thread");
    // The root first, then its replies (GET /messages/{id}/thread).
    const page = results(await api(`/api/v1/messages/${rootId}/thread`));
    if (this.rootId !== rootId) return;
    const root = page.find((m) => m.id === rootId) || this.timeline.byId.get(rootId);
    if (root) this.rootBox.append(renderMessage(root, { me: this.me, names: this.names, inThread: true }));
    for (const reply of sortBySeq(page.filter((m) => m.id !== rootId))) this.add(reply);
    this.updateCount();
    this.composer.textarea.focus();
  }

  close() {
    this.rootId = null;
    this.panel.hidden = true;
    this.chat.classList.remove("has-thread");
    const root = document.querySelector(".timeline .msg:focus-within, .timeline .msg.is-menu-open");
    if (root) root.focus();
  }

  add(msg) {
    if (this.shown.has(msg.id)) return;
    this.shown.add(msg.id);
    this.timeline.byId.set(msg.id, { ...msg, ...(this.timeline.byId.get(msg.id) || {}) });
    const node = renderMessage(msg, { me: this.me, names: this.names, inThread: true });
    const after = [...this.list.children].find((li) => Number(li.dataset.seq) > msg.seq);
    this.list.insertBefore(node, after || null);
    this.updateCount();
  }

  updateCount() {
    this.count.textContent = t("replies").replace("%s", this.shown.size);
  }

  onAppended(msg) {
    if (this.rootId && msg.thread_root === this.rootId) {
      const stick = this.list.parentElement.scrollHeight - this.list.parentElement.scrollTop - this.list.parentElement.clientHeight < 48;
      this.add(msg);
      if (stick) this.list.parentElement.scrollTop = this.list.parentElement.scrollHeight;
    }
  }

  onUpdated(msg) {
    if (!this.rootId) return;
    const node = this.panel.querySelector(`li.msg[data-id="${msg.id}"]`);
    if (node) node.replaceWith(keepEditor(node, renderMessage(msg, { me: this.me, names: this.names, inThread: true }), msg));
  }
}
