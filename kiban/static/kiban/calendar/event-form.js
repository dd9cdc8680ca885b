// The event form, enhanced: all-day toggle, recurrence choices, the person picker (directory search, kana
// works), room availability for the chosen time, and the meeting-time finder. The form works without it.
import { api } from "../shell.js";

const form = document.getElementById("event-form");

// Translated strings come from the page (data attributes of #calendar-strings).
function t(key, value) {
  const node = document.getElementById("calendar-strings");
  const text = (node && node.dataset[key]) || key;
  return value === undefined ? text : text.replace("%s", value);
}

function field(name) {
  return form.elements.namedItem(name);
}

function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Times typed in the form are Asia/Tokyo (the server's zone; no DST).
function isoAt(date, time) {
  return `${date}T${(time || "00:00").slice(0, 5)}:00+09:00`;
}

function addDays(date, days) {
  const d = new Date(`${date}T00:00:00+09:00`);
  d.setUTCDate(d.getUTCDate() + days);
  return new Date(d.getTime() + 9 * 3600e3).toISOString().slice(0, 10);
}

function chosenWindow() {
  const startDate = field("start_date").value;
  const endDate = field("end_date").value || startDate;
  if (!startDate) return null;
  if (field("all_day").checked) return { start: isoAt(startDate), end: isoAt(addDays(endDate, 1)) };
  const startTime = field("start_time").value;
  const endTime = field("end_time").value;
  if (!startTime || !endTime) return null;
  const start = isoAt(startDate, startTime);
  const end = isoAt(endDate, endTime);
  return new Date(end) > new Date(start) ? { start, end } : null;
}

function localParts(iso) {
  const d = new Date(new Date(iso).getTime() + 9 * 3600e3).toISOString();
  return { date: d.slice(0, 10), time: d.slice(11, 16) };
}

function label(iso) {
  const { date, time } = localParts(iso);
  const [, m, d] = date.split("-");
  // "日月火水木金土", or a comma-separated list where a name is longer than one character ("Sun,Mon,…").
  const names = t("weekdays");
  const wd = (names.includes(",") ? names.split(",") : [...names])[new Date(`${date}T12:00:00+09:00`).getDay()];
  return `${Number(m)}/${Number(d)}(${wd}) ${time}`;
}

// --- all day, recurrence -----------------------------------------------------------------------------
function syncAllDay() {
  form.classList.toggle("is-all-day", field("all_day").checked);
}

function syncRepeat() {
  const value = field("repeat").value || "none";
  for (const part of form.querySelectorAll(".rec-detail[data-for]")) {
    part.hidden = !part.dataset.for.split(" ").includes(value);
  }
}

// --- attendees -----------------------------------------------------------------------------------------
const attendeesInput = field("attendees");
const chips = document.getElementById("attendee-chips");

function usernames() {
  return attendeesInput.value.split(/[\s,、，]+/).filter(Boolean);
}

function setUsernames(names) {
  attendeesInput.value = [...new Set(names)].join(" ");
  attendeesInput.dispatchEvent(new Event("change"));
}

function renderChip(li) {
  if (li.querySelector("button")) return;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "×";
  remove.setAttribute("aria-label", t("removeAttendee", li.textContent.trim()));
  remove.addEventListener("click", () => {
    setUsernames(usernames().filter((name) => name !== li.dataset.username));
    li.remove();
  });
  li.append(remove);
}

function addPerson(person) {
  if (person.username === form.dataset.organizer || usernames().includes(person.username)) return;
  setUsernames([...usernames(), person.username]);
  const li = document.createElement("li");
  li.dataset.username = person.username;
  li.textContent = `${person.family_name} ${person.given_name}`.trim() || person.username;
  chips.append(li);
  renderChip(li);
}

function setUpPicker() {
  const picker = document.getElementById("person-picker");
  const query = document.getElementById("person-q");
  const results = document.getElementById("person-results");
  picker.hidden = false;
  // The picker and its chips replace the raw username field (kept, hidden, as the form value).
  const raw = attendeesInput.closest(".field-attendees");
  if (raw) raw.hidden = true;
  for (const li of chips.querySelectorAll("li")) renderChip(li);
  const search = debounce(async () => {
    const q = query.value.trim();
    results.replaceChildren();
    if (!q) return;
    let data;
    try {
      data = await api(`/api/v1/staff?${new URLSearchParams({ q, limit: 8 })}`);
    } catch {
      return;
    }
    for (const person of data.results) {
      const dept = person.departments.find((d) => d.primary) || person.departments[0];
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.username = person.username;
      button.textContent = `${person.family_name} ${person.given_name}`;
      const detail = document.createElement("span");
      detail.className = "muted small";
      detail.textContent = ` ${dept ? dept.label || dept.name : ""} ${person.title || ""} (${person.username})`;
      button.append(detail);
      button.addEventListener("click", () => {
        addPerson(person);
        results.replaceChildren();
        query.value = "";
        query.focus();
      });
      const li = document.createElement("li");
      li.append(button);
      results.append(li);
    }
  }, 250);
  query.addEventListener("input", search);
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const first = results.querySelector("button");
      if (first) first.click();
    }
  });
}

// --- rooms ---------------------------------------------------------------------------------------------
const rooms = document.getElementById("rooms");

const refreshRooms = debounce(async () => {
  if (!rooms) return;
  const note = document.getElementById("room-status-note");
  const window_ = chosenWindow();
  const own = new Set((rooms.dataset.ownBookings || "").split(" ").filter(Boolean).map(Number));
  if (!window_) {
    note.textContent = "";
    for (const status of rooms.querySelectorAll("[data-status]")) status.textContent = "";
    return;
  }
  note.textContent = t("roomStatus");
  await Promise.all(
    [...rooms.querySelectorAll("li[data-resource]")].map(async (li) => {
      const status = li.querySelector("[data-status]");
      try {
        const data = await api(
          `/api/v1/resources/${li.dataset.resource}/availability?${new URLSearchParams(window_)}`,
        );
        const busy = data.busy.filter((b) => !own.has(b.booking));
        status.classList.toggle("is-busy", busy.length > 0);
        status.classList.toggle("is-free", busy.length === 0);
        status.textContent = busy.length
          ? `${t("busy")} ${busy.map((b) => `${localParts(b.start).time}–${localParts(b.end).time}`).join(", ")}`
          : t("free");
      } catch {
        status.textContent = "";
      }
    }),
  );
}, 300);

// --- the meeting-time finder ---------------------------------------------------------------------------
function setUpFinder() {
  const finder = form.querySelector(".finder");
  const button = document.getElementById("find-time");
  const status = document.getElementById("finder-status");
  const list = document.getElementById("finder-results");
  finder.hidden = false;
  button.addEventListener("click", async () => {
    list.replaceChildren();
    const startDate = field("start_date").value;
    const window_ = chosenWindow();
    if (!startDate) {
      status.textContent = t("needStart");
      return;
    }
    const minutes = window_ && !field("all_day").checked
      ? Math.round((new Date(window_.end) - new Date(window_.start)) / 60000)
      : 60;
    const people = [form.dataset.organizer, ...usernames()].filter(Boolean);
    const params = new URLSearchParams({
      users: people.join(","),
      duration: String(minutes),
      start: isoAt(startDate),
      end: isoAt(addDays(startDate, 14)),
    });
    const room = rooms && rooms.querySelector("input[name=resources]:checked");
    if (room) params.set("resource", room.value);
    status.textContent = t("finding");
    let data;
    try {
      data = await api(`/api/v1/freebusy/find?${params}`);
    } catch (error) {
      status.textContent = `${t("findFailed")} ${error.message}`;
      return;
    }
    const slots = Array.isArray(data) ? data : data.slots || [];
    status.textContent = slots.length ? t("slotsFound") : t("noSlots");
    for (const slot of slots) {
      const choose = document.createElement("button");
      choose.type = "button";
      choose.className = "btn";
      choose.textContent = `${label(slot.start)}–${localParts(slot.end).time}`;
      choose.addEventListener("click", () => {
        const s = localParts(slot.start);
        const e = localParts(slot.end);
        field("all_day").checked = false;
        syncAllDay();
        field("start_date").value = s.date;
        field("start_time").value = s.time;
        field("end_date").value = e.date;
        field("end_time").value = e.time;
        refreshRooms();
        status.textContent = t("chosen", label(slot.start));
        list.replaceChildren();
      });
      const li = document.createElement("li");
      li.append(choose);
      list.append(li);
    }
  });
}

// Changing one occurrence only changes its title, time, place and text: hide what belongs to the series.
function syncScope() {
  const scope = form.querySelector("input[name=scope]:checked");
  const oneOnly = scope !== null && scope.value === "this";
  for (const part of form.querySelectorAll("[data-series-only]")) part.hidden = oneOnly;
}

if (form) {
  for (const radio of form.querySelectorAll("input[name=scope]")) radio.addEventListener("change", syncScope);
  syncScope();
  field("all_day").addEventListener("change", () => {
    syncAllDay();
    refreshRooms();
  });
  field("repeat").addEventListener("change", syncRepeat);
  // Moving the start moves the end with it (same duration), as calendar programs do.
  let previousStart = field("start_date").value;
  field("start_date").addEventListener("change", () => {
    const start = field("start_date").value;
    const end = field("end_date").value;
    if (previousStart && start && end) {
      const shift = (new Date(start) - new Date(previousStart)) / 86400e3;
      field("end_date").value = addDays(end, shift);
    }
    previousStart = start;
  });
  for (const name of ["start_date", "start_time", "end_date", "end_time"]) {
    field(name).addEventListener("change", refreshRooms);
  }
  syncAllDay();
  syncRepeat();
  setUpPicker();
  setUpFinder();
  refreshRooms();
}
