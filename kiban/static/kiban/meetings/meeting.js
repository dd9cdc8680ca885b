// The meeting room page (/meet/{id}, and /meet/g/{token} for guests): camera and microphone, the mesh of
// peers (peers.js), screen share, mute indicators, raised hands, the participant list, the meeting's chat,
// the lobby for guests. Strings come from #meet-strings (translated in the template).

import { Peer } from "./peers.js";
import { GuestTransport, StaffTransport } from "./transport.js";

// `.meet`: other parts of the shell carry a data-meeting attribute too (the presence picker's 会議中 label).
const root = document.querySelector(".meet[data-meeting]");
const strings = document.getElementById("meet-strings").dataset;
const $ = (selector) => root.querySelector(selector);

const CAMERA = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 20 } };
const CAMERA_SMALL = { width: { ideal: 320 }, height: { ideal: 180 }, frameRate: { ideal: 15 } };
const LOWER_RESOLUTION_ABOVE = 4; // video peers in the room
const STUCK_AFTER = 15000; // ms a connection may stay down before it is negotiated again or rebuilt

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

class Room {
  constructor() {
    this.id = Number(root.dataset.meeting);
    this.guest = root.dataset.guest === "1";
    this.relayOnly = root.dataset.relay === "1";
    this.transport = this.guest
      ? new GuestTransport(this.id, root.dataset.base)
      : new StaffTransport(this.id, root.dataset.base);
    this.me = null;
    this.video = false;
    this.iceServers = [];
    this.peers = new Map(); // peer id → Peer
    this.roster = new Map(); // peer id → participant
    this.tiles = new Map(); // `${peer}:${stream id}` → tile
    this.local = null; // MediaStream of camera + microphone
    this.screen = null; // MediaStream of the shared screen
    this.flags = { audio_muted: false, video_muted: false, hand_raised: false, sharing_screen: false };
    this.heartbeatTimer = null;
    this.early = []; // signals that arrived before our join answer
    this.left = false;
    this.small = false;
    window.kibanMeeting = this; // for tests and the browser console: stats() below
    this.bind();
  }

  // --- start ---------------------------------------------------------------------------------------------

  async start() {
    if (this.guest) {
      const ok = await this.waitForAdmission();
      if (!ok) return;
    }
    await this.enter();
  }

  async waitForAdmission() {
    const wait = $(".meet-wait");
    wait.hidden = false;
    for (;;) {
      let answer;
      try {
        answer = await this.transport.status();
      } catch (error) {
        this.status(error.status === 410 ? strings.expired : strings.offline);
        if (error.status === 410 || error.status === 404) return false;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        continue;
      }
      if (answer.status === "admitted") break;
      if (answer.status === "refused") {
        wait.textContent = strings.refused;
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    wait.hidden = true;
    return true;
  }

  async enter() {
    this.status(strings.joining);
    let answer;
    try {
      answer = await this.transport.join(false);
    } catch (error) {
      this.status(error.message);
      return;
    }
    this.left = false;
    root.dataset.state = "joined";
    this.me = answer.peer;
    this.video = answer.video;
    this.iceServers = answer.ice_servers;
    this.heartbeatEvery = (answer.heartbeat || 15) * 1000;
    if (!this.local) await this.openDevices();
    this.applyLocalFlags();
    this.showLocal();
    for (const line of answer.chat || []) this.addChat(line);
    this.transport.start();
    this.setRoster(answer.participants, { initiate: true });
    const early = this.early;
    this.early = [];
    for (const detail of early) this.onSignal(detail);
    this.heartbeat();
    this.status("");
  }

  async openDevices(ids = {}) {
    const audio = ids.audioinput ? { deviceId: { exact: ids.audioinput } } : true;
    const camera = { ...(this.small ? CAMERA_SMALL : CAMERA) };
    if (ids.videoinput) camera.deviceId = { exact: ids.videoinput };
    try {
      this.local = await navigator.mediaDevices.getUserMedia({ audio, video: this.video ? camera : false });
    } catch (error) {
      // No camera (or refused): enter with the microphone only, or with nothing, rather than not at all.
      console.warn("meeting: devices", error);
      try {
        this.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      } catch {
        this.local = new MediaStream();
      }
      this.status(strings.noDevices);
    }
    await this.listDevices();
  }

  async listDevices() {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    for (const kind of ["videoinput", "audioinput"]) {
      const select = root.querySelector(`select[data-device="${kind}"]`);
      if (!select) continue;
      const current = this.local.getTracks().find((t) => t.kind === (kind === "videoinput" ? "video" : "audio"));
      const currentId = current ? current.getSettings().deviceId : "";
      select.replaceChildren();
      devices
        .filter((d) => d.kind === kind)
        .forEach((d, i) => {
          const option = el("option", "", d.label || `${kind === "videoinput" ? strings.camera : strings.mic} ${i + 1}`);
          option.value = d.deviceId;
          option.selected = d.deviceId === currentId;
          select.append(option);
        });
    }
  }

  // --- the mesh -------------------------------------------------------------------------------------------

  iceConfig() {
    return { iceServers: this.iceServers, iceTransportPolicy: this.relayOnly ? "relay" : "all" };
  }

  // What this page sends to `remote`: audio to everyone; camera and screen only between video peers.
  tracksFor(remote) {
    const wanted = [];
    if (!this.local) return wanted;
    for (const track of this.local.getAudioTracks()) wanted.push({ track, stream: this.local });
    if (this.video && remote.video) {
      for (const track of this.local.getVideoTracks()) wanted.push({ track, stream: this.local });
      if (this.screen) for (const track of this.screen.getVideoTracks()) wanted.push({ track, stream: this.screen });
    }
    return wanted;
  }

  send(target, data) {
    this.transport.signal({ sender: this.me, target, data }).catch((error) => console.warn("meeting: send", error));
  }

  onSignal(detail) {
    if (this.left) return;
    if (this.me === null) {
      // Someone who saw us enter may offer before our own join answer is back: keep it for a moment.
      this.early.push(detail);
      return;
    }
    if (detail.target !== this.me) return;
    const { session, ...data } = detail.data;
    let peer = this.peers.get(detail.sender);
    if (peer && peer.remoteSession && session !== peer.remoteSession) {
      // The other side started a new connection: an offer replaces ours, anything else is from the past.
      if (!(data.description && data.description.type === "offer")) return;
      this.dropPeer(detail.sender);
      peer = null;
    }
    if (!peer) {
      // Someone who entered after us offers: the roster may not have reached us yet.
      const remote = this.roster.get(detail.sender) || { peer: detail.sender, video: true, name: "" };
      peer = new Peer(this, remote, { initiator: false });
      this.peers.set(detail.sender, peer);
    }
    if (!peer.remoteSession) peer.remoteSession = session;
    peer.signal(data);
  }

  setRoster(participants, { initiate = false } = {}) {
    const before = new Map(this.roster);
    this.roster = new Map(participants.map((p) => [p.peer, p]));
    if (this.me && !this.roster.has(this.me) && !this.left) {
      // The server counted us gone (a long sleep): enter again as a new peer.
      this.reenter();
      return;
    }
    for (const [id, peer] of this.peers) {
      if (!this.roster.has(id)) {
        peer.close();
        this.peers.delete(id);
        this.dropTiles(id);
        const gone = before.get(id);
        if (gone) this.announce(strings.leftRoom.replace("%s", gone.name));
      }
    }
    for (const p of participants) {
      if (p.peer === this.me) continue;
      if (initiate && !this.peers.has(p.peer)) this.peers.set(p.peer, new Peer(this, p, { initiator: true }));
      if (!before.has(p.peer) && !initiate) this.announce(strings.joinedRoom.replace("%s", p.name));
    }
    const videos = participants.filter((p) => p.video).length;
    this.adaptResolution(videos > LOWER_RESOLUTION_ABOVE);
    this.renderRoster();
    for (const tile of this.tiles.values()) this.labelTile(tile);
  }

  onTrack(peerId, track, stream) {
    const key = `${peerId}:${stream ? stream.id : track.id}`;
    let tile = this.tiles.get(key);
    if (!tile) {
      tile = this.makeTile(key, peerId, stream || new MediaStream([track]), false);
      if (stream) {
        stream.addEventListener("removetrack", () => {
          if (stream.getTracks().length === 0) this.removeTile(key);
        });
      }
    }
    tile.dataset.kind = tile.media.srcObject.getVideoTracks().length ? "video" : "audio";
    track.addEventListener("ended", () => {
      if (tile.media.srcObject.getTracks().every((t) => t.readyState === "ended")) this.removeTile(key);
    });
    this.labelTile(tile);
  }

  onState(peerId) {
    const peer = this.peers.get(peerId);
    for (const tile of this.tiles.values()) {
      if (tile.dataset.peer === peerId && peer) tile.dataset.connection = peer.pc.connectionState;
    }
    this.renderRoster();
  }

  adaptResolution(small) {
    if (small === this.small || !this.local) return;
    this.small = small;
    for (const track of this.local.getVideoTracks()) {
      track.applyConstraints(small ? CAMERA_SMALL : CAMERA).catch(() => {});
    }
  }

  // --- tiles ----------------------------------------------------------------------------------------------

  makeTile(key, peerId, stream, mine) {
    const tile = el("figure", "tile");
    tile.dataset.peer = peerId;
    tile.dataset.key = key;
    const media = el("video");
    media.autoplay = true;
    media.playsInline = true;
    media.muted = mine; // never hear yourself
    media.srcObject = stream;
    tile.media = media;
    const caption = el("figcaption");
    caption.append(el("span", "tile-name"), el("span", "tile-flags"));
    tile.append(media, caption);
    $(".tiles").append(tile);
    this.tiles.set(key, tile);
    media.play().catch(() => {});
    return tile;
  }

  labelTile(tile) {
    const mine = tile.dataset.peer === this.me;
    const p = mine ? { name: strings.you, ...this.flags, video: this.video } : this.roster.get(tile.dataset.peer);
    const screen = this.isScreen(tile);
    tile.querySelector(".tile-name").textContent = (p ? p.name : "") + (screen ? ` · ${strings.screen}` : "");
    const flags = [];
    if (p && p.audio_muted) flags.push(strings.muted);
    if (p && p.video_muted && !screen) flags.push(strings.cameraOff);
    if (p && p.hand_raised) flags.push(strings.hand);
    tile.querySelector(".tile-flags").textContent = flags.join(" ");
    tile.dataset.screen = screen ? "1" : "0";
    tile.classList.toggle("is-muted", Boolean(p && p.audio_muted));
  }

  isScreen(tile) {
    const stream = tile.media.srcObject;
    if (tile.dataset.peer === this.me) return Boolean(this.screen) && stream === this.screen;
    // A peer's second video stream is its screen (the camera stream carries the audio too).
    return stream.getAudioTracks().length === 0 && stream.getVideoTracks().length > 0;
  }

  showLocal() {
    if (this.tiles.has("me")) {
      this.tiles.get("me").media.srcObject = this.local;
      return;
    }
    const tile = this.makeTile("me", this.me, this.local, true);
    tile.classList.add("tile-me");
    this.labelTile(tile);
  }

  dropTiles(peerId) {
    for (const [key, tile] of this.tiles) if (tile.dataset.peer === peerId && key !== "me") this.removeTile(key);
  }

  removeTile(key) {
    const tile = this.tiles.get(key);
    if (!tile) return;
    tile.remove();
    this.tiles.delete(key);
  }

  // --- controls -------------------------------------------------------------------------------------------

  bind() {
    root.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action]");
      if (!button) return;
      const action = button.dataset.action;
      if (action === "mic") this.toggle("audio_muted");
      else if (action === "camera") this.toggle("video_muted");
      else if (action === "hand") this.toggle("hand_raised");
      else if (action === "screen") this.toggleScreen();
      else if (action === "leave") this.leave();
      else if (action === "rejoin") this.enter();
      else if (action === "panel") this.panel(button.dataset.panel);
      else if (action === "admit" || action === "refuse") this.decide(button.dataset.guest, action === "admit");
      else if (action === "guest-link") this.makeGuestLink();
    });
    const form = $(".meet-chat-form");
    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const input = form.querySelector("input");
        const body = input.value.trim();
        if (!body || !this.me) return;
        this.transport.chat(this.me, body).then(() => {
          input.value = "";
        }, (error) => this.status(error.message));
      });
    }
    for (const select of root.querySelectorAll("select[data-device]")) {
      select.addEventListener("change", () => this.switchDevice(select.dataset.device, select.value));
    }
    const t = this.transport;
    t.addEventListener("meeting.signal", (e) => this.onSignal(e.detail));
    t.addEventListener("meeting.roster", (e) => {
      if (this.me && !this.left) this.setRoster(e.detail.participants);
    });
    t.addEventListener("meeting.chat", (e) => this.addChat(e.detail.line));
    t.addEventListener("meeting.lobby", (e) => this.renderLobby(e.detail.waiting));
    t.addEventListener("resync", () => this.resync());
    t.addEventListener("status", (e) => {
      root.dataset.realtime = e.detail.status;
    });
    window.addEventListener("pagehide", () => {
      if (this.me && !this.left) this.transport.leave(this.me, { keepalive: true }).catch(() => {});
    });
  }

  panel(name) {
    for (const aside of root.querySelectorAll(".meet-panel")) {
      aside.hidden = aside.dataset.panel !== name || !aside.hidden;
    }
    for (const button of root.querySelectorAll('[data-action="panel"]')) {
      const open = !root.querySelector(`.meet-panel[data-panel="${button.dataset.panel}"]`).hidden;
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    if (name === "people" && !this.guest && root.dataset.canAdmit === "1") {
      this.transport.lobby().then((a) => this.renderLobby(a.waiting), () => {});
    }
  }

  async toggle(flag) {
    this.flags[flag] = !this.flags[flag];
    this.applyLocalFlags();
    if (!this.me) return;
    try {
      await this.transport.flags(this.me, { [flag]: this.flags[flag] });
    } catch (error) {
      this.status(error.message);
    }
  }

  applyLocalFlags() {
    if (this.local) {
      for (const track of this.local.getAudioTracks()) track.enabled = !this.flags.audio_muted;
      for (const track of this.local.getVideoTracks()) track.enabled = !this.flags.video_muted;
    }
    const pressed = { mic: this.flags.audio_muted, camera: this.flags.video_muted, hand: this.flags.hand_raised, screen: Boolean(this.screen) };
    for (const [action, on] of Object.entries(pressed)) {
      const button = root.querySelector(`[data-action="${action}"]`);
      if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    }
    const camera = root.querySelector('[data-action="camera"]');
    if (camera) camera.disabled = !this.video;
    const screen = root.querySelector('[data-action="screen"]');
    if (screen) screen.disabled = !this.video || !navigator.mediaDevices.getDisplayMedia;
    const me = this.tiles.get("me");
    if (me) this.labelTile(me);
  }

  async toggleScreen() {
    if (this.screen) {
      this.stopScreen();
      return;
    }
    try {
      this.screen = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 5 } }, audio: false });
    } catch (error) {
      this.status(strings.screenFailed);
      return;
    }
    const [track] = this.screen.getVideoTracks();
    track.addEventListener("ended", () => this.stopScreen());
    const tile = this.makeTile(`me:${this.screen.id}`, this.me, this.screen, true);
    this.labelTile(tile);
    for (const peer of this.peers.values()) peer.syncTracks();
    this.flags.sharing_screen = true;
    this.applyLocalFlags();
    this.transport.flags(this.me, { sharing_screen: true }).catch(() => {});
  }

  stopScreen() {
    if (!this.screen) return;
    const screen = this.screen;
    this.screen = null;
    for (const track of screen.getTracks()) track.stop();
    this.removeTile(`me:${screen.id}`);
    for (const peer of this.peers.values()) peer.syncTracks();
    this.flags.sharing_screen = false;
    this.applyLocalFlags();
    if (this.me && !this.left) this.transport.flags(this.me, { sharing_screen: false }).catch(() => {});
  }

  async switchDevice(kind, deviceId) {
    const video = kind === "videoinput";
    let stream;
    try {
      const constraints = video
        ? { video: { ...(this.small ? CAMERA_SMALL : CAMERA), deviceId: { exact: deviceId } } }
        : { audio: { deviceId: { exact: deviceId } } };
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      this.status(strings.noDevices);
      return;
    }
    const [fresh] = video ? stream.getVideoTracks() : stream.getAudioTracks();
    const [old] = video ? this.local.getVideoTracks() : this.local.getAudioTracks();
    if (old) {
      for (const peer of this.peers.values()) await peer.replaceTrack(old, fresh);
      this.local.removeTrack(old);
      old.stop();
    }
    this.local.addTrack(fresh);
    this.applyLocalFlags();
  }

  renderRoster() {
    const list = $(".roster");
    if (!list) return;
    list.replaceChildren();
    for (const p of this.roster.values()) {
      const item = el("li");
      item.dataset.peer = p.peer;
      item.append(el("span", "roster-name", p.peer === this.me ? `${p.name}（${strings.you}）` : p.name));
      const marks = [];
      if (p.guest) marks.push(strings.guest);
      if (!p.video) marks.push(strings.audioOnly);
      if (p.audio_muted) marks.push(strings.muted);
      if (p.video_muted) marks.push(strings.cameraOff);
      if (p.sharing_screen) marks.push(strings.screen);
      if (p.hand_raised) marks.push(strings.hand);
      const peer = this.peers.get(p.peer);
      if (peer && !peer.connected) marks.push(strings.connecting);
      item.append(el("span", "roster-marks", marks.join(" · ")));
      if (p.hand_raised) item.classList.add("has-hand");
      list.append(item);
    }
    const count = root.querySelector("[data-count]");
    if (count) count.textContent = String(this.roster.size);
  }

  renderLobby(waiting) {
    const section = $(".lobby");
    if (!section) return;
    const list = section.querySelector("ul");
    list.replaceChildren();
    for (const g of waiting) {
      const item = el("li");
      item.append(el("span", "", g.organization ? `${g.name}（${g.organization}）` : g.name));
      const admit = el("button", "btn btn-small btn-primary", strings.admit);
      admit.type = "button";
      admit.dataset.action = "admit";
      admit.dataset.guest = g.id;
      const refuse = el("button", "btn btn-small", strings.refuse);
      refuse.type = "button";
      refuse.dataset.action = "refuse";
      refuse.dataset.guest = g.id;
      item.append(admit, refuse);
      list.append(item);
    }
    section.hidden = waiting.length === 0;
    const badge = root.querySelector("[data-lobby-count]");
    if (badge) {
      badge.textContent = String(waiting.length);
      badge.hidden = waiting.length === 0;
    }
    if (waiting.length) this.announce(strings.waiting);
  }

  async decide(guestId, admit) {
    try {
      await this.transport.decide(guestId, admit);
    } catch (error) {
      this.status(error.message);
    }
  }

  async makeGuestLink() {
    const output = $(".guest-link output");
    try {
      const answer = await this.transport.guestLink(24);
      output.value = answer.url;
      output.textContent = answer.url;
    } catch (error) {
      this.status(error.message);
    }
  }

  addChat(line) {
    const list = $(".meet-chat");
    if (!list || list.querySelector(`[data-line="${line.id}"]`)) return;
    const item = el("li");
    item.dataset.line = line.id;
    item.append(el("span", "chat-name", line.name), el("span", "chat-body", line.body));
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }

  // --- being there ----------------------------------------------------------------------------------------

  heartbeat() {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(async () => {
      if (this.left) return;
      this.repair();
      try {
        const answer = await this.transport.heartbeat(this.me);
        if (answer.present === false) {
          this.reenter();
          return;
        }
      } catch (error) {
        if (error.status === 404) {
          this.reenter();
          return;
        }
      }
      this.heartbeat();
    }, this.heartbeatEvery);
  }

  // Connections that do not come up: one that never connected resends its unanswered offer; one that
  // stayed failed after an ICE restart (its DTLS may be gone for good) is rebuilt by the impolite side,
  // whose new session's offer replaces the old connection on the other side.
  repair() {
    const now = performance.now();
    for (const [id, peer] of [...this.peers]) {
      const stuck = peer.connectedAt === null && now - peer.createdAt > STUCK_AFTER;
      const broken = peer.failedAt !== null && now - peer.failedAt > STUCK_AFTER;
      const lost = peer.pc.connectionState === "closed" && !peer.closed; // the browser closed it under us
      if (!(stuck || broken || lost) || peer.connected) continue;
      if (peer.polite && !lost) {
        peer.nudge();
      } else {
        this.dropPeer(id);
        const remote = this.roster.get(id);
        if (remote) this.peers.set(id, new Peer(this, remote, { initiator: true }));
      }
    }
  }

  dropPeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.close();
    this.peers.delete(id);
    this.dropTiles(id);
  }

  // After the socket came back: the roster may have changed meanwhile, and connections may need ICE restarts.
  resync() {
    if (!this.me || this.left) return;
    for (const peer of this.peers.values()) if (!peer.connected) peer.restart();
    this.heartbeat();
  }

  async reenter() {
    this.closePeers();
    this.me = null;
    await this.enter();
  }

  closePeers() {
    for (const [id, peer] of this.peers) {
      peer.close();
      this.dropTiles(id);
    }
    this.peers.clear();
  }

  async leave() {
    if (this.left) return;
    this.left = true;
    clearTimeout(this.heartbeatTimer);
    const me = this.me;
    this.stopScreen();
    this.closePeers();
    this.transport.stop();
    if (this.local) for (const track of this.local.getTracks()) track.stop();
    this.local = null;
    this.removeTile("me");
    root.dataset.state = "left";
    if (me) await this.transport.leave(me).catch(() => {});
  }

  status(text) {
    const box = $(".meet-status");
    box.textContent = text || "";
    box.hidden = !text;
  }

  announce(text) {
    const live = $(".meet-live");
    if (live) live.textContent = text;
  }

  // What the browser measures for each peer (tests and diagnostics read this with getStats()).
  async stats() {
    const result = [];
    for (const [id, peer] of this.peers) {
      const report = await peer.pc.getStats();
      const inbound = [];
      let pairType = null;
      const byId = new Map();
      report.forEach((s) => byId.set(s.id, s));
      report.forEach((s) => {
        if (s.type === "inbound-rtp") {
          inbound.push({ kind: s.kind, framesDecoded: s.framesDecoded || 0, packetsReceived: s.packetsReceived || 0, trackIdentifier: s.trackIdentifier || "", frameHeight: s.frameHeight || 0 });
        }
        if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
          const local = byId.get(s.localCandidateId);
          pairType = local ? local.candidateType : null;
        }
      });
      const connectMs = peer.connectedAt === null ? null : peer.connectedAt - peer.createdAt;
      result.push({ peer: id, state: peer.pc.connectionState, candidateType: pairType, connectMs, inbound });
    }
    return result;
  }
}

const room = new Room();
root.dataset.ready = "1";
room.start();
