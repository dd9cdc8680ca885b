// The messages of one conversation, in seq order, exactly once each. Live events may arrive out of order or
// after a gap (a reconnect, a missed event): a message is shown only when every seq before it is known, and
// a gap is filled by asking the server for what came after the last seq shown (`?after=SEQ`).
import { renderMessage } from "./render.js";
import { api, el, results, sameDay, t, warekiDate } from "./util.js";

const PAGE = 50;

export class Timeline extends EventTarget {
  constructor({ conversationId, me, names, scroller, list }) {
    super();
    this.id = conversationId;
    this.me = me;
    this.names = names;
    this.scroller = scroller;
    this.list = list;
    this.byId = new Map(); // message id → message dict (roots and replies)
    this.lastSeq = 0; // every seq ≤ lastSeq has been applied
    this.firstSeq = null; // the oldest seq loaded (older history is fetched before it)
    this.buffer = new Map(); // seq → message that arrived ahead of a gap
    this.readSeq = 0;
    this.catchingUp = null;
    this.noOlder = false;
    this.loadingOlder = false;
    this.loaded = false;
  }

  url(query) {
    return `/api/v1/conversations/${this.id}/messages?${query}`;
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  // First page: the newest messages, or the page that ends at `target` when a link points at one message.
  async loadInitial(target) {
    const query = target ? `before=${target + 1}&limit=${PAGE}` : `limit=${PAGE}`;
    this.loaded = false;
    this.buffer.clear(); // events that arrive during the fetch wait here
    const page = sortBySeq(results(await api(this.url(query))));
    this.list.replaceChildren();
    this.byId.clear();
    for (const msg of page) this.store(msg);
    this.firstSeq = page.length ? page[0].seq : null;
    this.lastSeq = page.length ? page[page.length - 1].seq : 0;
    this.noOlder = page.length < PAGE || this.firstSeq === 1;
    for (const msg of page) this.draw(msg, "load");
    this.daySeparators();
    this.loaded = true;
    this.drain();
    if (target || this.buffer.size) await this.catchUp();
    if (!target) await this.fillViewport();
    this.dispatchEvent(new CustomEvent("loaded"));
    if (target && document.getElementById(`m${target}`)) {
      const node = document.getElementById(`m${target}`);
      node.classList.add("is-target");
      node.scrollIntoView({ block: "center" });
      node.focus({ preventScroll: true });
    } else {
      this.scrollToBottom();
    }
  }

  // A first page of mostly thread replies can leave the pane without a scroll bar, and so without the
  // scroll that asks for more: keep loading until it scrolls or the start is reached.
  async fillViewport() {
    for (let i = 0; i < 10 && !this.noOlder; i++) {
      if (this.scroller.scrollHeight > this.scroller.clientHeight + 200) return;
      await this.loadOlder();
    }
  }

  async loadOlder() {
    if (this.noOlder || this.loadingOlder || this.firstSeq === null) return;
    this.loadingOlder = true;
    try {
      const page = sortBySeq(results(await api(this.url(`before=${this.firstSeq}&limit=${PAGE}`))));
      const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
      for (const msg of page.reverse()) {
        if (this.byId.has(msg.id)) continue;
        this.store(msg);
        this.draw(msg, "start");
      }
      this.daySeparators();
      if (page.length) this.firstSeq = Math.min(this.firstSeq, page[page.length - 1].seq);
      if (page.length < PAGE || this.firstSeq <= 1) this.noOlder = true;
      // Keep the message the person was reading where it was.
      this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
    } finally {
      this.loadingOlder = false;
    }
  }

  // A message.created event (or a message our own POST returned).
  receive(msg) {
    if (msg.seq <= this.lastSeq) {
      if (this.byId.has(msg.id)) this.update(msg);
      return;
    }
    // Only a reply announced live adds to its root's count: fetched roots already count fetched replies.
    this.buffer.set(msg.seq, { ...msg, live: true });
    if (!this.loaded) return;
    this.drain();
    if (this.buffer.size) this.catchUp();
  }

  drain() {
    for (const seq of this.buffer.keys()) if (seq <= this.lastSeq) this.buffer.delete(seq);
    const stick = this.atBottom();
    let applied = false;
    while (this.buffer.has(this.lastSeq + 1)) {
      const msg = this.buffer.get(this.lastSeq + 1);
      this.buffer.delete(msg.seq);
      this.lastSeq = msg.seq;
      if (this.byId.has(msg.id)) continue;
      const live = msg.live;
      delete msg.live;
      this.store(msg);
      this.draw(msg, live ? "live" : "end");
      if (this.firstSeq === null) this.firstSeq = msg.seq;
      this.dispatchEvent(new CustomEvent("appended", { detail: msg }));
      applied = true;
    }
    if (applied) this.daySeparators();
    if (applied && stick) this.scrollToBottom();
  }

  // Ask for everything after the last seq shown, page by page; concurrent callers share one run.
  catchUp() {
    if (!this.loaded) return Promise.resolve(); // the first page is on its way; it drains the buffer
    if (this.catchingUp) {
      this.catchAgain = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      try {
        do {
          this.catchAgain = false;
          for (;;) {
            const page = sortBySeq(results(await api(this.url(`after=${this.lastSeq}&limit=100`))));
            for (const msg of page) if (msg.seq > this.lastSeq) this.buffer.set(msg.seq, msg);
            const before = this.lastSeq;
            this.drain();
            if (page.length < 100 || this.lastSeq === before) break;
          }
        } while (this.catchAgain);
        // Anything still buffered is beyond what the server has told us: drop nothing, try again later.
      } finally {
        this.catchingUp = null;
      }
    })();
    return this.catchingUp;
  }

  // Refetch the newest page so edits, deletions and reactions missed while offline are shown too.
  async refresh() {
    await this.catchUp();
    const page = results(await api(this.url(`limit=${PAGE}`)));
    for (const msg of page) if (this.byId.has(msg.id)) this.update(msg);
  }

  // A line with the date wherever the day changes between two messages (今日, 昨日, else 和暦 with weekday).
  daySeparators() {
    for (const sep of this.list.querySelectorAll(":scope > li.day-sep")) sep.remove();
    let previous = "";
    for (const li of [...this.list.querySelectorAll(":scope > li.msg")]) {
      const time = li.querySelector("time");
      const date = time ? new Date(time.getAttribute("datetime")) : null;
      if (!date || Number.isNaN(date.getTime())) continue;
      const key = date.toDateString();
      if (key !== previous) li.before(el("li", { class: "day-sep", role: "separator", text: dayLabel(date) }));
      previous = key;
    }
  }

  store(msg) {
    this.byId.set(msg.id, msg);
  }

  draw(msg, where) {
    if (msg.thread_root) {
      const root = this.byId.get(msg.thread_root);
      if (root && where === "live") {
        root.reply_count = (root.reply_count || 0) + 1;
        this.redraw(root);
      }
      return;
    }
    const node = renderMessage(msg, { me: this.me, names: this.names });
    if (where === "start") this.list.prepend(node);
    else this.list.append(node);
  }

  redraw(msg) {
    const old = this.list.querySelector(`li.msg[data-id="${msg.id}"]`);
    if (old) old.replaceWith(keepEditor(old, renderMessage(msg, { me: this.me, names: this.names }), msg));
  }

  // message.updated / message.deleted: the event carries the whole message.
  update(msg) {
    if (!this.byId.has(msg.id)) return;
    this.byId.set(msg.id, { ...this.byId.get(msg.id), ...msg });
    this.redraw(this.byId.get(msg.id));
    this.dispatchEvent(new CustomEvent("updated", { detail: this.byId.get(msg.id) }));
  }

  // reaction.added / reaction.removed carry the message's reactions after the change, in the one shape.
  reaction(event) {
    this.update({ id: event.message_id, reactions: event.reactions });
  }

  newestSeq() {
    return this.lastSeq;
  }
}

export function sortBySeq(list) {
  return [...list].sort((a, b) => a.seq - b.seq);
}

const WEEKDAYS = "日月火水木金土";

export function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (sameDay(date, today)) return t("today");
  if (sameDay(date, yesterday)) return t("yesterday");
  const weekday = (document.documentElement.lang || "ja").startsWith("en") ? "" : `(${WEEKDAYS[date.getDay()]})`;
  return `${warekiDate(date)}${weekday}`;
}

// An update (someone's reaction, our own edit's event arriving late) must not throw away an edit in progress.
export function keepEditor(old, node, msg) {
  const editor = old.querySelector(".msg-edit");
  const body = node.querySelector(".msg-body");
  if (!editor || !body || msg.deleted) return node;
  const focused = editor.contains(document.activeElement) ? document.activeElement : null;
  body.hidden = true;
  body.after(editor);
  if (focused) queueMicrotask(() => focused.focus());
  return node;
}
