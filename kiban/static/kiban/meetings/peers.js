// One RTCPeerConnection per other peer of the room (a mesh), negotiated with the "perfect negotiation"
// pattern: either side may renegotiate (screen share on or off, an ICE restart); when both offer at once the
// polite peer (the smaller peer id) rolls back and answers. Signals of one peer are handled in order.

const DISCONNECTED_GRACE = 4000; // ms in "disconnected" before restarting ICE (a Wi-Fi hand-over recovers alone)

function randomId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Peer {
  // room: { me, iceConfig(), send(target, data), tracksFor(peer), onTrack(peer, track, stream), onState(peer) }
  constructor(room, remote, { initiator }) {
    this.room = room;
    this.remote = remote;
    this.polite = room.me < remote.peer;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.senders = new Map(); // track id → RTCRtpSender
    this.queue = Promise.resolve();
    this.restartTimer = null;
    this.closed = false;
    this.createdAt = performance.now();
    // Every signal carries the connection's session: when one side starts a new RTCPeerConnection (the old
    // one failed for good), the other recognises its offer as a new connection, and drops what belonged to
    // the old one.
    this.session = randomId();
    this.remoteSession = null;
    this.failedAt = null;
    this.connectedAt = null; // first "connected": connect time = connectedAt - createdAt
    this.pc = new RTCPeerConnection(room.iceConfig());
    const pc = this.pc;
    pc.addEventListener("negotiationneeded", () => this.negotiate());
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    });
    pc.addEventListener("track", ({ track, streams }) => this.room.onTrack(this.remote.peer, track, streams[0]));
    pc.addEventListener("connectionstatechange", () => this.watch());
    pc.addEventListener("iceconnectionstatechange", () => this.watch());
    if (initiator) this.syncTracks();
  }

  // Sends what the room wants this peer to have (camera, microphone, screen), adding and removing senders.
  syncTracks() {
    if (this.closed) return;
    const wanted = this.room.tracksFor(this.remote);
    const ids = new Set(wanted.map(({ track }) => track.id));
    for (const [id, sender] of this.senders) {
      if (!ids.has(id)) {
        this.pc.removeTrack(sender);
        this.senders.delete(id);
      }
    }
    for (const { track, stream } of wanted) {
      if (!this.senders.has(track.id)) this.senders.set(track.id, this.pc.addTrack(track, stream));
    }
  }

  async replaceTrack(oldTrack, newTrack) {
    const sender = this.senders.get(oldTrack.id);
    if (!sender) return;
    await sender.replaceTrack(newTrack);
    this.senders.delete(oldTrack.id);
    this.senders.set(newTrack.id, sender);
  }

  send(data) {
    this.room.send(this.remote.peer, { ...data, session: this.session });
  }

  async negotiate() {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.send({ description: this.pc.localDescription.toJSON() });
    } catch (error) {
      console.warn("meeting: offer failed", error);
    } finally {
      this.makingOffer = false;
    }
  }

  signal(data) {
    this.queue = this.queue.then(() => this.handle(data)).catch((error) => console.warn("meeting: signal", error));
    return this.queue;
  }

  async handle({ description, candidate }) {
    if (this.closed) return;
    const pc = this.pc;
    if (description) {
      const collision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        // The answering side adds its tracks now, into the transceivers the offer created (no second round).
        this.syncTracks();
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      }
    } else if (candidate) {
      try {
        await pc.addIceCandidate(candidate);
      } catch (error) {
        if (!this.ignoreOffer) throw error;
      }
    }
  }

  // Reconnect after a network blip: restart ICE when the connection failed, or stayed disconnected.
  watch() {
    const pc = this.pc;
    this.room.onState(this.remote.peer);
    if (this.closed) return;
    const state = pc.connectionState;
    if (state === "failed" || pc.iceConnectionState === "failed") {
      if (this.failedAt === null) this.failedAt = performance.now();
      this.restart();
    } else if (state === "disconnected") {
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => {
        if (this.pc.connectionState === "disconnected") this.restart();
      }, DISCONNECTED_GRACE);
    } else if (state === "connected") {
      clearTimeout(this.restartTimer);
      this.failedAt = null;
      if (this.connectedAt === null) this.connectedAt = performance.now();
    }
  }

  // A connection that has not come up for a while: an offer that got no answer is sent again (the message
  // was lost); otherwise ICE starts over.
  nudge() {
    if (this.closed) return;
    if (this.pc.signalingState === "have-local-offer" && this.pc.localDescription) {
      this.send({ description: this.pc.localDescription.toJSON() });
    } else if (this.pc.signalingState === "stable" && this.pc.remoteDescription) {
      this.restart();
    }
  }

  restart() {
    if (this.closed) return;
    this.pc.setConfiguration(this.room.iceConfig());
    this.pc.restartIce(); // fires negotiationneeded: an offer with new ICE credentials
  }

  get connected() {
    return this.pc.connectionState === "connected";
  }

  close() {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.pc.close();
  }
}
