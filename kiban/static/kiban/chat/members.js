// The info panel's member list: the server draws the first page; "さらに表示" fetches the next pages from
// GET /api/v1/conversations/{id}/members?limit=&offset= ({results, more}) and appends them in place, so a
// channel of thousands never arrives in one piece. Without JavaScript the link opens the next page.
import { api } from "./util.js";

for (const list of document.querySelectorAll("[data-member-list]")) setUp(list);

function setUp(list) {
  const more = document.querySelector("[data-member-more]");
  if (!more) return;
  const removable = document.getElementById("member-removable");
  const plain = document.getElementById("member-plain");
  let offset = Number(list.dataset.next);
  const limit = Number(list.dataset.limit) || 100;
  let busy = false;

  function row(member) {
    const canRemove = removable && member.username !== list.dataset.me;
    const node = (canRemove ? removable : plain).content.firstElementChild.cloneNode(true);
    node.dataset.username = member.username;
    const link = node.querySelector(".member-name");
    link.textContent = member.name;
    link.href = list.dataset.profile.replace("__username__", encodeURIComponent(member.username));
    link.dataset.presence = member.username; // presence.js adds the status badge
    node.querySelector(".member-owner").hidden = member.role !== "owner";
    const field = node.querySelector('input[name="username"]');
    if (field) field.value = member.username;
    return node;
  }

  more.addEventListener("click", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    more.setAttribute("aria-busy", "true");
    try {
      const page = await api(`/api/v1/conversations/${list.dataset.conversation}/members?limit=${limit}&offset=${offset}`);
      for (const member of page.results) {
        if (!list.querySelector(`li[data-username="${CSS.escape(member.username)}"]`)) list.append(row(member));
      }
      offset += page.results.length;
      if (page.more) more.href = `?members=${offset}`;
      else more.closest(".member-more").remove();
    } catch {
      window.location.href = more.href; // the page itself still works
    } finally {
      busy = false;
      more.removeAttribute("aria-busy");
    }
  });
}
