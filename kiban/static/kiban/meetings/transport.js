// How a meeting page talks to Kiban. Staff: events arrive on the page's one WebSocket (realtime.js) and
// signals leave over it too (kiban/realtime/inbound.py), with POST when the socket is not live. Guests have
// no account and so no socket: they POST and read their inbox (which also tells the server they are alive).

import { connect } from "../realtime.js";

const TYPES = ["meeting.signal", "meeting.roster", "meeting.lobby", "meeting.chat", "meeting.state"];

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function request(method, url, body, { keepalive = false } = {}) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    keepalive,
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  if (!response.ok) {
    const error = new Error(data.detail || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

class Transport extends EventTarget {
  constructor(meetingId) {
    super();
    this.meetingId = meetingId;
  }

  emit(type, detail) {
    if (detail && typeof detail.meeting === "number" && detail.meeting !== this.meetingId) return;
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

export class StaffTransport extends Transport {
  constructor(meetingId, base) {
    super(meetingId);
    this.base = base;
    this.live = connect();
    for (const type of TYPES) this.live.addEventListener(type, (event) => this.emit(type, event.detail));
    this.live.addEventListener("resync", () => this.emit("resync", {}));
    this.live.addEventListener("status", (event) => this.emit("status", { status: event.detail }));
  }

  join(audioOnly) {
    return request("POST", `${this.base}/join`, { audio_only: audioOnly });
  }

  async signal(message) {
    const frame = { type: "meeting.signal", meeting: this.meetingId, ...message };
    if (this.live.send(frame)) return;
    await request("POST", `${this.base}/signal`, message);
  }

  heartbeat(peer) {
    return request("POST", `${this.base}/heartbeat`, { peer });
  }

  flags(peer, flags) {
    return request("PATCH", `${this.base}/participants/${peer}`, flags);
  }

  chat(peer, body) {
    return request("POST", `${this.base}/chat`, { peer, body });
  }

  lobby() {
    return request("GET", `${this.base}/lobby`);
  }

  decide(guestId, admit) {
    return request("POST", `${this.base}/lobby/${guestId}`, { admit });
  }

  guestLink(hours) {
    return request("POST", `${this.base}/guest-links`, { hours });
  }

  leave(peer, { keepalive = false } = {}) {
    return request("POST", `${this.base}/leave`, { peer }, { keepalive });
  }

  start() {}

  stop() {}
}

const GUEST_POLL = 600; // ms between inbox reads: a negotiation is a few round trips

export class GuestTransport extends Transport {
  constructor(meetingId, base) {
    super(meetingId);
    this.base = base;
    this.after = 0;
    this.peer = null;
    this.timer = null;
  }

  status() {
    return request("GET", `${this.base}/status`);
  }

  async join(audioOnly) {
    const answer = await request("POST", `${this.base}/join`, { audio_only: audioOnly });
    this.after = answer.inbox_after || 0;
    this.peer = answer.peer;
    return answer;
  }

  signal(message) {
    return request("POST", `${this.base}/signal`, message);
  }

  // The inbox read is the guest's heartbeat; this keeps the page's interface the same as for staff.
  heartbeat() {
    return Promise.resolve({ present: true });
  }

  flags(peer, flags) {
    return request("POST", `${this.base}/flags`, { peer, ...flags });
  }

  chat(peer, body) {
    return request("POST", `${this.base}/chat`, { peer, body });
  }

  leave(peer, { keepalive = false } = {}) {
    this.stop();
    return request("POST", `${this.base}/leave`, { peer }, { keepalive });
  }

  start() {
    this.stop();
    this.emit("status", { status: "live" });
    const poll = async () => {
      try {
        const answer = await request("GET", `${this.base}/inbox?peer=${this.peer}&after=${this.after}`);
        for (const event of answer.events) {
          this.after = Math.max(this.after, event.id);
          this.emit(event.type, event);
        }
        this.emit("status", { status: "live" });
      } catch (error) {
        this.emit("status", { status: error.status === 404 ? "gone" : "offline" });
        if (error.status === 404 || error.status === 410) return;
      }
      this.timer = setTimeout(poll, GUEST_POLL);
    };
    poll();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }
}
