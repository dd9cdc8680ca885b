// Person picker for "new chat" and "add members": search the directory (kanji, kana, romaji) and collect
// people as hidden `members` inputs. Without JavaScript the same field takes usernames separated by spaces.
import { api, el } from "./util.js";

for (const picker of document.querySelectorAll("[data-picker]")) setUp(picker);

function setUp(picker) {
  const input = picker.querySelector("[data-picker-input]");
  const resultsList = picker.querySelector("[data-picker-results]");
  const chosen = picker.querySelector("[data-picker-chosen]");
  const form = picker.closest("form");
  input.removeAttribute("name"); // the hidden inputs carry the choice now
  let timer = null;
  let seq = 0;

  function choose(person) {
    if (chosen.querySelector(`input[value="${CSS.escape(person.username)}"]`)) return;
    const name = `${person.family_name} ${person.given_name}`;
    const remove = el("button", { type: "button", "aria-label": `${name} ×`, text: "×" });
    const li = el("li", {}, el("span", { text: name }), el("input", { type: "hidden", name: "members", value: person.username }), remove);
    remove.addEventListener("click", () => li.remove());
    chosen.append(li);
    input.value = "";
    resultsList.replaceChildren();
    input.focus();
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      resultsList.replaceChildren();
      return;
    }
    timer = setTimeout(async () => {
      const mine = ++seq;
      let data;
      try {
        data = await api(`/api/v1/staff?q=${encodeURIComponent(q)}`);
      } catch {
        return;
      }
      if (mine !== seq) return;
      resultsList.replaceChildren(
        ...(data.results || []).slice(0, 10).map((person) => {
          const post = person.departments[0] || {};
          const dept = post.label || post.name || "";
          const button = el("button", { type: "button", "data-username": person.username },
            `${person.family_name} ${person.given_name}（${person.family_name_kana} ${person.given_name_kana}）${dept ? ` ${dept}` : ""}`);
          button.addEventListener("click", () => choose(person));
          return el("li", {}, button);
        }),
      );
    }, 200);
  });
  input.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Enter") {
      event.preventDefault();
      const first = resultsList.querySelector("button");
      if (first) first.click();
    } else if (event.key === "ArrowDown") {
      const first = resultsList.querySelector("button");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  if (form) {
    form.addEventListener("submit", () => {
      // A username typed but not picked still counts.
      for (const word of input.value.split(/[\s,]+/).filter(Boolean)) {
        form.append(el("input", { type: "hidden", name: "members", value: word }));
      }
    });
  }
}
