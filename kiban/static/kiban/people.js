// The one person picker. An `<input data-person-picker="one|many">` holding usernames (what the server
// accepts, space-separated for "many") becomes a combobox that searches the directory by name, kana or
// romaji (GET /api/v1/staff?q=), shows the people chosen by name, and writes their usernames back into the
// input, which stays the form field. Keyboard: ↓/↑ move through the results, Enter picks, Escape closes,
// Backspace in an empty box removes the last person. Without JavaScript the input still takes usernames.
import { api } from "./shell.js";

const strings = document.getElementById("person-picker-strings")?.dataset || {};
const t = (key, value = "") => (strings[key] || "").replace("%s", value);
let counter = 0;

function make(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

const fullName = (person) => `${person.family_name || ""} ${person.given_name || ""}`.trim() || person.username;

function usernamesIn(value) {
  return value.split(/[\s,、，]+/).filter(Boolean);
}

export function enhance(input) {
  if (input.dataset.personPickerReady) return;
  input.dataset.personPickerReady = "1";
  const many = input.dataset.personPicker === "many";
  const id = input.id || `person-${++counter}`;
  const listId = `${id}-options`;
  const box = make("input", {
    type: "text",
    id,
    role: "combobox",
    autocomplete: "off",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    placeholder: t("placeholder"),
    class: "person-picker-q",
  });
  if (input.getAttribute("aria-describedby")) box.setAttribute("aria-describedby", input.getAttribute("aria-describedby"));
  if (input.getAttribute("aria-invalid")) box.setAttribute("aria-invalid", input.getAttribute("aria-invalid"));
  input.id = `${id}-value`;
  input.type = "hidden";
  const chosen = make("ul", { class: "person-chips", "aria-live": "polite" });
  const options = make("ul", { id: listId, role: "listbox", class: "person-options", hidden: "" });
  const wrap = make("div", { class: "person-picker" });
  input.after(wrap);
  wrap.append(chosen, box, options);

  let people = []; // {username, name}
  let results = [];
  let active = -1;
  let seq = 0;
  let timer = null;

  function write() {
    input.value = people.map((p) => p.username).join(" ");
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function drawChosen() {
    chosen.replaceChildren(
      ...people.map((person) => {
        const remove = make("button", { type: "button", class: "person-chip-remove", "aria-label": t("remove", person.name) }, "×");
        remove.addEventListener("click", () => {
          people = people.filter((p) => p.username !== person.username);
          write();
          drawChosen();
          box.focus();
        });
        return make("li", { "data-username": person.username }, person.name).appendChild(remove).parentNode;
      }),
    );
    box.hidden = !many && people.length > 0;
  }

  function close() {
    results = [];
    active = -1;
    options.hidden = true;
    options.replaceChildren();
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }

  function drawResults() {
    options.replaceChildren(
      ...results.map((person, index) => {
        const dept = (person.departments || []).find((d) => d.primary) || (person.departments || [])[0];
        const li = make("li", {
          role: "option",
          id: `${listId}-${index}`,
          "data-username": person.username,
          "aria-selected": index === active ? "true" : "false",
        });
        li.append(
          make("span", { class: "person-option-name" }, fullName(person)),
          make("span", { class: "muted small" }, `${person.family_name_kana || ""} ${person.given_name_kana || ""}`.trim()),
          make("span", { class: "muted small" }, dept ? dept.name : ""),
        );
        li.addEventListener("mousedown", (event) => event.preventDefault());
        li.addEventListener("click", () => pick(index));
        return li;
      }),
    );
    if (!results.length) options.append(make("li", { class: "muted small", role: "presentation" }, t("none")));
    options.hidden = false;
    box.setAttribute("aria-expanded", "true");
    if (active >= 0) box.setAttribute("aria-activedescendant", `${listId}-${active}`);
    else box.removeAttribute("aria-activedescendant");
  }

  function pick(index) {
    const person = results[index];
    if (!person) return;
    const entry = { username: person.username, name: fullName(person) };
    people = many ? [...people.filter((p) => p.username !== entry.username), entry] : [entry];
    write();
    drawChosen();
    box.value = "";
    close();
    if (box.hidden) chosen.querySelector("button")?.focus();
    else box.focus();
  }

  async function search(query) {
    const mine = ++seq;
    let data;
    try {
      data = await api(`/api/v1/staff?${new URLSearchParams({ q: query, limit: 8 })}`);
    } catch {
      return;
    }
    if (mine !== seq || box.value.trim() !== query) return;
    results = (data.results || []).slice(0, 8);
    active = results.length ? 0 : -1;
    drawResults();
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    const query = box.value.trim();
    if (!query) return close();
    timer = setTimeout(() => search(query), 200);
  });
  box.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return; // a kana-kanji conversion is in progress
    const open = !options.hidden && results.length > 0;
    if (open && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + results.length) % results.length;
      drawResults();
    } else if (open && event.key === "Enter") {
      event.preventDefault(); // picking is not submitting
      pick(active);
    } else if (event.key === "Escape" && !options.hidden) {
      event.preventDefault();
      close();
    } else if (event.key === "Backspace" && !box.value && people.length) {
      people = people.slice(0, -1);
      write();
      drawChosen();
    }
  });
  box.addEventListener("blur", () => setTimeout(close, 150));

  // People already in the field (an edit, or a form shown again with an error): show them by name.
  const initial = usernamesIn(input.value);
  people = initial.map((username) => ({ username, name: username }));
  drawChosen();
  initial.forEach(async (username, index) => {
    try {
      const person = await api(`/api/v1/staff/${encodeURIComponent(username)}`);
      people[index] = { username, name: fullName(person) };
    } catch {
      return; // unknown: keep the username; the server says what is wrong with it
    }
    drawChosen();
  });
  // A name typed but not picked is still sent: the server resolves a username and names anything else.
  input.form?.addEventListener("submit", () => {
    const typed = box.value.trim();
    if (typed && !people.some((p) => p.username === typed)) {
      input.value = many ? [...people.map((p) => p.username), typed].join(" ") : typed;
    }
  });
}

for (const input of document.querySelectorAll("input[data-person-picker]")) enhance(input);
document.addEventListener("htmx:afterSwap", (event) => {
  for (const input of event.target.querySelectorAll("input[data-person-picker]")) enhance(input);
});
