// Calendar pages: small enhancements over server-rendered HTML (everything works without this module).

// The department select of the group schedule shows the new department as soon as one is picked.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// On a phone a week of seven columns is cramped: open the day view unless a view was asked for.
const grid = document.querySelector(".tg[data-view]");
if (grid && window.matchMedia("(max-width: 600px)").matches) {
  const params = new URLSearchParams(window.location.search);
  if (!params.has("view")) {
    params.set("view", "day");
    window.location.replace(`${window.location.pathname}?${params}`);
  }
}

// Keep today's column in sight when a week grid scrolls sideways (the group schedule starts at the day
// the person chose, so it stays at its start).
for (const scroller of document.querySelectorAll(".tg-scroll")) {
  const today = scroller.querySelector(".tg-dayhead.is-today");
  const gutter = scroller.querySelector(".tg-corner");
  if (today && scroller.scrollWidth > scroller.clientWidth) {
    scroller.scrollLeft = Math.max(0, today.offsetLeft - (gutter ? gutter.offsetWidth : 0));
  }
}
