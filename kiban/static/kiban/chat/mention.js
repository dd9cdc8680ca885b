// @-completion in a textarea: typing "@さと" lists staff from GET /api/v1/staff?q= (kanji, kana, romaji) and
// inserts "@氏 名 " (the name people read; kiban.chat.markdown resolves it against the conversation's members).
// When two people in the list share that name it inserts "@職員番号 ", which the server resolves too and renders
// as the name.
import { api, el } from "./util.js";

const TOKEN = /(?:^|[\s(（「])@([^\s@]{0,30})$/u;

export class MentionCompleter {
  constructor(textarea, menu) {
    this.textarea = textarea;
    this.menu = menu;
    this.items = [];
    this.active = -1;
    this.timer = null;
    this.seq = 0;
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", menu.id);
    textarea.addEventListener("input", () => this.onInput());
    textarea.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    menu.addEventListener("mousedown", (event) => event.preventDefault());
    menu.addEventListener("click", (event) => {
      const li = event.target.closest("li[data-username]");
      if (li) this.choose(Number(li.dataset.index));
    });
  }

  isOpen() {
    return !this.menu.hidden && this.items.length > 0;
  }

  token() {
    const { value, selectionStart } = this.textarea;
    const match = TOKEN.exec(value.slice(0, selectionStart));
    return match ? { query: match[1], start: selectionStart - match[1].length - 1 } : null;
  }

  onInput() {
    clearTimeout(this.timer);
    const token = this.token();
    if (!token || token.query.length < 1) {
      this.close();
      return;
    }
    this.timer = setTimeout(() => this.search(token.query), 150);
  }

  async search(query) {
    const mine = ++this.seq;
    let data;
    try {
      data = await api(`/api/v1/staff?q=${encodeURIComponent(query)}`);
    } catch {
      return;
    }
    if (mine !== this.seq) return; // a newer query has been typed
    // @channel / @here notify everyone in the conversation (everyone connected, for @here).
    const everyone = ["channel", "here"]
      .filter((word) => word.startsWith(query.toLowerCase()))
      .map((word) => ({ username: word, family_name: `@${word}`, given_name: "", family_name_kana: "", given_name_kana: "", departments: [] }));
    this.items = [...everyone, ...(data.results || [])].slice(0, 8);
    this.active = this.items.length ? 0 : -1;
    this.render();
  }

  render() {
    this.menu.replaceChildren(
      ...this.items.map((person, index) =>
        el(
          "li",
          {
            role: "option",
            id: `${this.menu.id}-${index}`,
            "data-username": person.username,
            "data-index": index,
            "aria-selected": index === this.active ? "true" : "false",
          },
          el("span", { text: `${person.family_name} ${person.given_name}` }),
          el("span", { class: "muted", text: `${person.family_name_kana} ${person.given_name_kana}` }),
          el("span", { class: "muted", text: (person.departments[0] || {}).label || (person.departments[0] || {}).name || "" }),
        ),
      ),
    );
    this.menu.hidden = this.items.length === 0;
    this.textarea.setAttribute("aria-expanded", this.menu.hidden ? "false" : "true");
    if (this.active >= 0) this.textarea.setAttribute("aria-activedescendant", `${this.menu.id}-${this.active}`);
  }

  close() {
    this.items = [];
    this.menu.hidden = true;
    this.menu.replaceChildren();
    this.textarea.setAttribute("aria-expanded", "false");
    this.textarea.removeAttribute("aria-activedescendant");
  }

  // Returns true when the key was used by the menu.
  onKeydown(event) {
    if (!this.isOpen()) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.items.length) % this.items.length;
      this.render();
      return true;
    }
    if (event.key === "Enter" || event.key === "Tab") {
      this.choose(this.active);
      return true;
    }
    if (event.key === "Escape") {
      this.close();
      return true;
    }
    return false;
  }

  mentionWord(person) {
    const name = `${person.family_name} ${person.given_name}`.trim();
    if (!person.family_name || !person.given_name || person.family_name.startsWith("@")) return person.username;
    const namesakes = this.items.filter((other) => `${other.family_name} ${other.given_name}`.trim() === name);
    return namesakes.length > 1 ? person.username : name;
  }

  choose(index) {
    const person = this.items[index];
    const token = this.token();
    if (!person || !token) return this.close();
    const { value, selectionStart } = this.textarea;
    const insert = `@${this.mentionWord(person)} `;
    this.textarea.value = value.slice(0, token.start) + insert + value.slice(selectionStart);
    const caret = token.start + insert.length;
    this.textarea.setSelectionRange(caret, caret);
    this.close();
    this.textarea.focus();
    this.textarea.dispatchEvent(new Event("input"));
  }
}
