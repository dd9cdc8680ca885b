// Presence (在席) next to every name: any element with `data-presence="<username>"` gets a small status badge
// after it, kept live. Loaded on every page (base.html). Pages and scripts only add the attribute — this
// module finds the elements (also those a script adds later: a MutationObserver), asks
// GET /api/v1/presence?users=… in batches (that read also subscribes the page to those people's changes for
// ten minutes, so it reads again every five), and applies `presence.changed` events from realtime.js.
// The whereabouts board (`[data-presence-row]`) is updated in place: status, destination, return time, note.
// Status labels come from #presence-strings (translated by the server); names are never touched.
import { api } from "./shell.js";
import { connect } from "./realtime.js";

const BATCH = 100;
const REFRESH_EVERY = 5 * 60 * 1000;
const strings = document.getElementById("presence-strings")?.dataset || {};
const known = new Map(); // username → presence
const pending = new Set();
let timer = null;

const label = (status) => strings[status] || status;

function pad(n) {
  return String(n).padStart(2, "0");
}

function untilText(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  const now = new Date();
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const sameDay = at.toDateString() === now.toDateString();
  const text = sameDay ? clock : `${strings.dateFormat || "%m/%d"} ${clock}`
    .replace("%m", String(at.getMonth() + 1)).replace("%d", String(at.getDate()));
  return `${strings.back || ""} ${text}`.trim();
}

// Beside the name; inside a heading (a block), at its end, so it stays on the name's line.
function badgeFor(element) {
  const inside = /^H[1-6]$/.test(element.tagName);
  let badge = inside ? element.lastElementChild : element.nextElementSibling;
  if (!badge || !badge.classList.contains("pr-dot")) {
    badge = document.createElement("span");
    badge.className = "pr-dot";
    if (inside) element.append(badge);
    else element.after(badge);
  }
  return badge;
}

function paintName(element, presence) {
  const badge = badgeFor(element);
  badge.className = `pr-dot pr-${presence.status}`;
  const text = label(presence.status);
  const parts = [text, presence.destination, untilText(presence.until)].filter(Boolean);
  badge.textContent = text;
  badge.title = parts.join(" ・ ");
}

function paintRow(row, presence) {
  const field = (name) => row.querySelector(`[data-field="${name}"]`);
  const status = field("status");
  if (status) {
    status.className = `pr-badge pr-${presence.status}`;
    status.textContent = label(presence.status);
  }
  if (field("destination")) field("destination").textContent = presence.destination || "";
  if (field("until")) field("until").textContent = untilText(presence.until);
  if (field("note")) field("note").textContent = presence.note || "";
  row.classList.remove("pr-flash");
  void row.offsetWidth; // restart the highlight
  row.classList.add("pr-flash");
}

function paint(presence) {
  known.set(presence.username, presence);
  const name = CSS.escape(presence.username);
  for (const element of document.querySelectorAll(`[data-presence="${name}"]`)) paintName(element, presence);
  for (const row of document.querySelectorAll(`[data-presence-row="${name}"]`)) paintRow(row, presence);
}

async function fetchBatch(usernames) {
  for (let i = 0; i < usernames.length; i += BATCH) {
    const chunk = usernames.slice(i, i + BATCH);
    try {
      const data = await api(`/api/v1/presence?users=${chunk.map(encodeURIComponent).join(",")}&limit=${BATCH}`);
      for (const presence of data.results) paint(presence);
    } catch {
      // Presence is a decoration: a failed read leaves names as they are.
    }
  }
}

function flush() {
  timer = null;
  const usernames = [...pending];
  pending.clear();
  if (usernames.length) fetchBatch(usernames);
}

function want(element) {
  const username = element.dataset.presence || element.dataset.presenceRow;
  if (!username) return;
  if (known.has(username)) {
    if (element.dataset.presence) paintName(element, known.get(username));
    return;
  }
  pending.add(username);
  if (!timer) timer = setTimeout(flush, 50);
}

// Chat, without edits to the chat client: a message's author name (`.msg[data-author] .msg-author`, drawn by
// the server or by chat/render.js) and a dm's header (the one member who is not me) become name elements.
function adoptChat(root) {
  for (const author of root.querySelectorAll(".msg[data-author] .msg-author:not([data-presence])")) {
    const username = author.closest(".msg").dataset.author;
    if (username) author.dataset.presence = username;
  }
  const chat = root === document.body ? document.querySelector("[data-chat]") : null;
  if (chat) {
    const members = [...document.querySelectorAll("#chat-members [data-username]")].map((li) => li.dataset.username);
    const title = chat.querySelector(".conv-title h1");
    const others = members.filter((name) => name !== chat.dataset.me);
    if (title && members.length === 2 && others.length === 1 && !title.dataset.presence) {
      title.dataset.presence = others[0];
    }
  }
}

function scan(root) {
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  adoptChat(root);
  if (root.matches("[data-presence]")) want(root);
  for (const element of root.querySelectorAll("[data-presence]")) want(element);
}

function shownUsernames() {
  const names = new Set();
  for (const element of document.querySelectorAll("[data-presence], [data-presence-row]")) {
    names.add(element.dataset.presence || element.dataset.presenceRow);
  }
  return [...names].filter(Boolean);
}

function refresh() {
  const names = shownUsernames();
  if (names.length) fetchBatch(names);
}

function start() {
  // The board was rendered (and subscribed) by the server just now; other pages read once at start.
  if (!document.querySelector("[data-presence-board]")) scan(document.body);
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) scan(node);
    }
  }).observe(document.body, { childList: true, subtree: true });
  const live = connect();
  live.addEventListener("presence.changed", (event) => paint(event.detail.presence));
  live.addEventListener("resync", refresh);
  setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, REFRESH_EVERY);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });
}

start();
