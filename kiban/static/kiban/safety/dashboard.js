// The safety dashboard updates itself: on `safety.progress` for this check (sent at most every few seconds
// however many answer), and after a resync, it fetches its own counts again as HTML (the server applies the
// viewer's permissions) and swaps them in. Without JavaScript the page is complete; "最新にする" reloads it.
import { connect } from "../realtime.js";

const box = document.getElementById("sf-dashboard");
if (box) {
  const check = Number(box.dataset.check);
  let busy = false;
  let again = false;
  const refresh = async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.ok) box.innerHTML = await response.text();
    } catch {
      // Offline for a moment: the next event or resync tries again.
    } finally {
      busy = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  };
  const live = connect();
  live.addEventListener("safety.progress", (event) => {
    if (event.detail && event.detail.check === check) refresh();
  });
  live.addEventListener("resync", refresh);
}
