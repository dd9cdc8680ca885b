// The page's one live connection to Kiban (CONTRACT.md "WebSocket"; docs/ARCHITECTURE.md "Realtime").
//
//   import { connect } from "../realtime.js";
//   const live = connect();                       // the same object however often it is called
//   live.addEventListener("message.created", (e) => show(e.detail.message));
//   live.addEventListener("resync", refetchWhatIShow);       // after a gap: trust the server, not memory
//   live.addEventListener("status", (e) => badge(e.detail)); // "live" | "polling" | "offline"
//   live.send({ type: "meeting.signal", … });              // client → server; false when not live
//
// It opens a WebSocket to /ws. When the socket drops it reconnects with growing, jittered delays, then asks
// /api/v1/realtime/events?after=<cursor> for what it missed and replays it; only when the server says it cannot
// (`truncated`: too far behind, or pruned) does it dispatch "resync". Where a WebSocket
// cannot be opened at all (a proxy that blocks upgrades), it polls /api/v1/realtime/events instead
// (long polling: the server holds each request until there is news) and keeps trying the socket now and
// then. Events carry an `id`; each is dispatched once. The cursor is the server's "settled" position (from
// hello, catch-up answers and pongs), not the newest id seen: on PostgreSQL an event committed later can
// have a smaller id than one already received, and the settled position never passes it.

const MIN_DELAY = 1000; // first reconnect delay (ms)
const MAX_DELAY = 30000;
const POLL_EVERY = 2500;
const POLL_WAIT = 20; // seconds the server may hold a poll until there is news (long polling)
const POLL_RESYNC_EVERY = 300000; // a resync now and then while polling, in case an answer was lost
const SOCKET_RETRY_WHILE_POLLING = 60000;
const FAILURES_BEFORE_POLLING = 2; // sockets that never opened (or died at once) before falling back
const SHORT_LIVED = 5000; // a socket closed this soon after opening counts as a failure (proxies do that)
const PING_EVERY = 25000;
const PONG_WITHIN = 10000;
const SEEN_KEPT = 2000; // event ids remembered for deduplication

const UNAUTHENTICATED = 4401;

class RealtimeStream extends EventTarget {
  constructor() {
    super();
    this.status = "offline";
    this.lastId = null; // the catch-up cursor (settled position); null until the server told us where we stand
    this.seen = new Set();
    this.socket = null;
    this.failures = 0;
    this.attempt = 0;
    this.everLive = false;
    this.polling = false;
    this.timers = {};
    window.addEventListener("online", () => this.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.retryNow();
    });
    this.openSocket();
  }

  // --- status and dispatch ------------------------------------------------------------------------------

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: status }));
  }

  handle(event) {
    if (!event || typeof event.type !== "string") return;
    if (typeof event.id === "number") {
      if (this.seen.has(event.id)) return;
      this.seen.add(event.id);
      if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value);
    }
    this.dispatchEvent(new CustomEvent(event.type, { detail: event }));
  }

  resync() {
    this.dispatchEvent(new CustomEvent("resync"));
  }

  later(name, fn, ms) {
    clearTimeout(this.timers[name]);
    this.timers[name] = setTimeout(fn, ms);
  }

  cancel(name) {
    clearTimeout(this.timers[name]);
    delete this.timers[name];
  }

  backoff() {
    const base = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt);
    this.attempt += 1;
    return base / 2 + Math.random() * (base / 2); // jitter: a server restart is not met by a stampede
  }

  // --- the WebSocket ------------------------------------------------------------------------------------

  openSocket() {
    if (this.socket) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let socket;
    try {
      socket = new WebSocket(`${scheme}://${location.host}/ws`);
    } catch {
      this.socketFailed();
      return;
    }
    this.socket = socket;
    let openedAt = 0;
    let hello = false;
    socket.addEventListener("open", () => {
      openedAt = Date.now();
    });
    socket.addEventListener("message", (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      this.cancel("pong");
      if (data.type === "pong") {
        // Everything of ours up to `settled` has been sent on this socket: a later catch-up starts there.
        if (hello && this.lastId !== null && typeof data.settled === "number" && data.settled > this.lastId) {
          this.lastId = data.settled;
        }
        return;
      }
      if (data.type === "hello") {
        hello = true;
        this.onHello(data);
        return;
      }
      this.handle(data);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.cancel("ping");
      this.cancel("pong");
      if (event.code === UNAUTHENTICATED) {
        // Signed out (or the token was revoked): nothing to gain by hammering the server.
        this.setStatus("offline");
        this.later("reconnect", () => this.openSocket(), MAX_DELAY * 2);
        return;
      }
      const failed = !hello || Date.now() - openedAt < SHORT_LIVED;
      if (failed) this.socketFailed();
      else this.socketLost();
    });
  }

  onHello(hello) {
    this.failures = 0;
    this.attempt = 0;
    const caughtUpTo = this.lastId;
    if (this.polling) this.stopPolling();
    this.setStatus("live");
    this.keepAlive();
    if (caughtUpTo === null) {
      this.lastId = hello.last_id; // a fresh page: it rendered what it shows, events from here on
      this.everLive = true;
      return;
    }
    // A reconnect: replay what was missed while away; only if that is impossible, everyone refetches.
    this.everLive = true;
    this.catchUp(caughtUpTo).then((complete) => {
      if (!complete) this.resync();
    });
  }

  keepAlive() {
    // A proxy or a sleeping laptop can leave a socket that looks open but carries nothing.
    this.later("ping", () => {
      const socket = this.socket;
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      socket.send('{"type":"ping"}');
      this.later("pong", () => socket.close(), PONG_WITHIN);
      this.keepAlive();
    }, PING_EVERY);
  }

  socketLost() {
    this.setStatus(this.polling ? "polling" : "offline");
    this.later("reconnect", () => this.openSocket(), this.backoff());
  }

  socketFailed() {
    this.failures += 1;
    if (this.failures >= FAILURES_BEFORE_POLLING && !this.polling) this.startPolling();
    if (this.polling) {
      this.later("reconnect", () => this.openSocket(), SOCKET_RETRY_WHILE_POLLING);
    } else {
      this.setStatus("offline");
      this.later("reconnect", () => this.openSocket(), this.backoff());
    }
  }

  // Sends a client → server message of a module (e.g. `meeting.signal`) over the socket. Returns false when
  // there is no live socket (polling, offline): the caller then uses the module's HTTP endpoint instead.
  send(message) {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || this.status !== "live") return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  retryNow() {
    if (this.socket || this.status === "live") return;
    this.cancel("reconnect");
    this.openSocket();
  }

  // --- catching up and polling over plain HTTP ----------------------------------------------------------

  async fetchEvents(after, wait = 0) {
    let query = after === null ? "" : `?after=${after}`;
    if (after !== null && wait > 0) query += `&wait=${wait}`;
    const response = await fetch(`/api/v1/realtime/events${query}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      const error = new Error(`events: HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  // Returns true when the events could be replayed one by one (false: a resync is needed anyway).
  async catchUp(after) {
    try {
      const answer = await this.fetchEvents(after);
      for (const event of answer.events) this.handle(event);
      if (answer.truncated || this.lastId === null || answer.last_id > this.lastId) this.lastId = answer.last_id;
      return !answer.truncated;
    } catch {
      return false;
    }
  }

  startPolling() {
    this.polling = true;
    this.setStatus("polling");
    this.pollResyncAt = Date.now() + POLL_RESYNC_EVERY;
    this.poll(); // continues from the cursor; resyncs only if the server says the gap is too long
  }

  stopPolling() {
    this.polling = false;
    this.cancel("poll");
  }

  async poll() {
    if (!this.polling) return;
    let delay = POLL_EVERY;
    const asked = Date.now();
    const fresh = this.lastId === null;
    try {
      const answer = await this.fetchEvents(this.lastId, POLL_WAIT);
      // The server held the request until there was news (or its wait ended): ask again at once. An
      // answer that came back quickly and empty means no waiting here; then poll at the normal pace.
      if (fresh || answer.events.length > 0 || Date.now() - asked > 1000) delay = 100;
      if (!this.polling) return; // the socket came back meanwhile; it catches up by itself
      for (const event of answer.events) this.handle(event);
      this.lastId = Math.max(this.lastId || 0, answer.last_id);
      if (answer.truncated) this.lastId = answer.last_id;
      this.setStatus("polling");
      if (answer.truncated || (!fresh && Date.now() > this.pollResyncAt)) {
        this.pollResyncAt = Date.now() + POLL_RESYNC_EVERY;
        this.resync();
      }
    } catch (error) {
      this.setStatus("offline");
      delay = error.status === 401 || error.status === 403 ? MAX_DELAY : POLL_EVERY * 2;
    }
    if (this.polling) this.later("poll", () => this.poll(), delay);
  }
}

let stream = null;

export function connect() {
  if (!stream) stream = new RealtimeStream();
  return stream;
}
