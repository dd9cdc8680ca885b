// 開催中 on pages that show a meeting (the event page): live from `meeting.state` events.
import { connect } from "../realtime.js";

const panels = document.querySelectorAll("[data-meeting-badge]");
if (panels.length) {
  const live = connect();
  live.addEventListener("meeting.state", (event) => {
    const { meeting, live: running, count } = event.detail;
    for (const panel of panels) {
      if (Number(panel.dataset.meetingBadge) !== meeting) continue;
      const badge = panel.querySelector("[data-live]");
      badge.hidden = !running;
      panel.querySelector("[data-live-count]").textContent = String(count);
    }
  });
}
