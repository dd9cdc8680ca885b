// The bell's unread badge on every page, live; new rows on the notification centre; browser notifications
// while a page is open (permission asked only when the person clicks the button in the centre).
import { api } from "../shell.js";

const bell = document.querySelector("[data-notif-bell]");
const badge = document.querySelector("[data-notif-badge]");
let unread = badge ? Number.parseInt(badge.dataset.unread, 10) || 0 : 0;

function setUnread(count) {
  unread = Math.max(0, count);
  if (badge) {
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.hidden = unread === 0;
    badge.dataset.unread = String(unread);
  }
  if (bell) bell.dataset.unread = String(unread);
  const text = document.querySelector("[data-notif-unread-text]");
  if (text) text.dataset.unread = String(unread);
}

async function refreshCount() {
  try {
    const data = await api("/api/v1/notifications/unread-count");
    setUnread(data.unread);
  } catch {
    // Offline for a moment: the next resync tries again.
  }
}

// The centre's list, when this page is the centre: a new notification appears on top.
function prependRow(n) {
  const list = document.querySelector(".notif-list");
  if (!list || new URLSearchParams(location.search).has("before")) return;
  const item = document.createElement("li");
  item.className = "notif is-unread";
  if (n.id !== null) item.dataset.notificationId = String(n.id);
  const link = document.createElement("a");
  link.className = "notif-link";
  link.href = openUrl(n);
  const title = document.createElement("span");
  title.className = "notif-title";
  title.textContent = n.title;
  link.append(title);
  if (n.body) {
    const body = document.createElement("span");
    body.className = "notif-body";
    body.textContent = n.body.length > 140 ? `${n.body.slice(0, 139)}…` : n.body;
    link.append(body);
  }
  item.append(link);
  list.prepend(item);
}

// A notification sent to many people at once arrives without its per-person id: it links to its page.
function openUrl(n) {
  return n.id === null || n.id === undefined ? n.url || "/notifications/" : `/notifications/${n.id}/open/`;
}

function showBrowserNotification(n) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  // The page is in front of the person: the badge says enough.
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  const tag = `kiban-notification-${n.id ?? `${n.group_key}:${n.seq}`}`;
  const shown = new Notification(n.title, { body: n.body || "", tag });
  shown.addEventListener("click", () => {
    window.focus();
    location.href = openUrl(n);
  });
}

// The centre's button: ask for permission on the person's click, never on load.
function setUpPermissionButton() {
  const box = document.querySelector("[data-notif-browser]");
  if (!box || !("Notification" in window)) return;
  const state = box.querySelector("[data-notif-browser-state]");
  const button = box.querySelector("[data-notif-permission]");
  // The sentences come from the template, translated there.
  const labels = {
    granted: box.dataset.labelGranted,
    denied: box.dataset.labelDenied,
    default: box.dataset.labelDefault,
  };
  const render = () => {
    state.textContent = labels[Notification.permission] || "";
    button.hidden = Notification.permission !== "default";
  };
  box.hidden = false;
  render();
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    render();
  });
}

// After "すべて既読にする" (htmx swaps the list), the badge follows the count the server rendered.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.target && event.target.id === "notif-list") {
    const text = event.target.querySelector("[data-notif-unread-text]");
    setUnread(text ? Number.parseInt(text.dataset.unread, 10) || 0 : 0);
  }
});

async function listen() {
  let connect;
  try {
    ({ connect } = await import("../realtime.js"));
  } catch {
    return; // No live channel: the badge still shows what the page was rendered with.
  }
  const events = connect();
  events.addEventListener("notification.created", (event) => {
    const n = event.detail.notification;
    setUnread(unread + 1);
    prependRow(n);
    showBrowserNotification(n);
  });
  events.addEventListener("notification.read", (event) => setUnread(event.detail.unread));
  events.addEventListener("resync", refreshCount);
}

setUpPermissionButton();
listen();
