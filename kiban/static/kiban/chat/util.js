// Small helpers shared by the chat modules. Text always goes in through textContent; the only HTML ever
// inserted is a message's `html`, which the server rendered and sanitised (kiban.chat.markdown, nh3).

export { api, csrfToken } from "../shell.js";

// The shell's inline SVG icon set (kiban/static/kiban/icons.svg), never emoji: closed-network PCs often
// have no emoji font.
const ICONS = new URL("../icons.svg", import.meta.url).href;
const SVG = "http://www.w3.org/2000/svg";

export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `${ICONS}#${name}`);
  svg.append(use);
  return svg;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const ERAS = [
  [new Date(2019, 4, 1), "令和"],
  [new Date(1989, 0, 8), "平成"],
  [new Date(1926, 11, 25), "昭和"],
];

const pad = (n) => String(n).padStart(2, "0");

function isEnglish() {
  return (document.documentElement.lang || "ja").startsWith("en");
}

// The same text as the server's wareki filter (kiban/core/wareki.py): 令和8年11月26日.
export function warekiDate(date) {
  if (isEnglish()) return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });
  for (const [start, name] of ERAS) {
    if (date >= start) {
      const year = date.getFullYear() - start.getFullYear() + 1;
      return `${name}${year === 1 ? "元" : year}年${date.getMonth() + 1}月${date.getDate()}日`;
    }
  }
  return `${date.getFullYear()}年${date.getMonth() + 1}月${date.getDate()}日`;
}

export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// Today: 14:05. Another day: 令和8年11月25日 14:05 (the server's wareki_datetime).
export function messageTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return sameDay(date, new Date()) ? hm : `${warekiDate(date)} ${hm}`;
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// Results come as a list or as {results: [...]} depending on the endpoint.
export function results(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.results)) return data.results;
  if (data && Array.isArray(data.messages)) return data.messages;
  if (data && Array.isArray(data.conversations)) return data.conversations;
  return [];
}

export function t(key) {
  const node = document.getElementById("chat-strings");
  return (node && node.dataset[key]) || key;
}
