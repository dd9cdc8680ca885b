// A module's card under a chat message (kiban/chat/cards.py): title, lines, links (a tel: call button) and
// actions that POST to a same-origin /api/v1/ path. Text only (no HTML from the card reaches the page); the
// server drew the same markup in chat/_card.html. After an action succeeds the module replaces the card
// (`done`) and a message.updated event redraws it; until then the button shows it is busy.
import { api } from "../shell.js";
import { el } from "./util.js";

const SAFE_LINK = /^(https?:|mailto:|tel:|\/(?!\/))/i;
const SAFE_POST = /^\/api\/v1\/[A-Za-z0-9_\-/]+$/;

export function renderCard(card) {
  const buttons = [];
  for (const link of card.links || []) {
    if (SAFE_LINK.test(link.url)) buttons.push(el("a", { class: "btn btn-small", href: link.url, text: link.label }));
  }
  if (card.done) {
    buttons.push(el("span", { class: "msg-card-done", text: card.done }));
  } else {
    for (const action of card.actions || []) {
      if (!SAFE_POST.test(action.post) || action.post.includes("..")) continue;
      buttons.push(
        el("button", {
          type: "button",
          class: action.primary ? "btn btn-small btn-primary" : "btn btn-small",
          "data-card-post": action.post,
          text: action.label,
        }),
      );
    }
  }
  return el(
    "div",
    { class: "msg-card", "data-card": "" },
    el("p", { class: "msg-card-title", text: card.title }),
    (card.lines || []).map((line) => el("p", { class: "msg-card-line", text: line })),
    buttons.length ? el("div", { class: "msg-card-buttons" }, buttons) : null,
  );
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-card-post]");
  if (!button || button.disabled) return;
  const path = button.dataset.cardPost;
  if (!SAFE_POST.test(path) || path.includes("..")) return;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await api(path, { method: "POST" });
  } catch (error) {
    button.disabled = false;
    button.title = error.message;
  } finally {
    button.removeAttribute("aria-busy");
  }
});
