// Live sessions in the room. The freelancer publishes their screen (getDisplayMedia) to each watcher
// over its own RTCPeerConnection; Socket.IO `signal` carries offers, answers and ICE candidates, and
// the server relays them only between the live publisher and members in this room.
import { upload } from "./http.js";
import { duration, el } from "./dom.js";

const HEARTBEAT_MS = 15000;
const OPEN_MILESTONE = new Set(["planned", "submitted", "changes_requested"]); // what a session can be about
const FIRST_SNAPSHOT_MS = 3000;

export function elapsed(sinceIso, now = Date.now()) {
  const total = Math.max(0, Math.floor((now - Date.parse(sinceIso)) / 1000));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  return (h ? `${h}:${String(m).padStart(2, "0")}` : String(m)) + `:${String(s).padStart(2, "0")}`;
}

export class Live {
  constructor({ socket, job, me, role, session, snapshotSeconds, iceServers }) {
    this.socket = socket;
    this.job = job;
    this.me = me;
    this.role = role;
    this.session = session;           // the live session (or null)
    this.snapshotSeconds = snapshotSeconds;
    this.iceServers = iceServers || [];
    this.peers = new Map();           // publisher: watcher sid -> {pc, name}; watcher: publisher sid -> pc
    this.stream = null;               // publisher's screen
    this.timers = [];
    this.$ = (id) => document.getElementById(id);
    this.video = this.$("live-video");
    socket.on("signal", (msg) => { if (msg.job === job) this.onSignal(msg); });
    socket.on("live_watcher", (msg) => { if (msg.job === job && this.stream) this.call(msg.watcher); });
    socket.on("connect", () => { if (this.stream) this.resume(); });
    this.$("fullscreen")?.addEventListener("click", () => this.video.requestFullscreen?.());
    this.video.addEventListener("playing", () => { if (!this.publishing && this.session && !this.session.paused) this.setStage("live"); });
    this.bindControls();
    setInterval(() => this.renderBadge(), 1000);
    this.render();
  }

  get publishing() { return Boolean(this.stream); }

  // ------------------------------------------------------------ room events

  onEvent(event) {
    const d = event.data;
    switch (event.type) {
      case "session.started":
      case "session.resumed": {
        this.session = d.session;
        if (this.publishing || d.session.publisher_sid === this.socket.id) break; // our own session
        const pc = this.peers.get(d.session.publisher_sid);
        if (pc && pc.connectionState === "connected") this.setStage("live"); // same publisher, same stream: unpause
        else this.watch();
        break;
      }
      case "session.paused":
        this.session = d.session;
        if (!this.publishing) this.setStage("paused");
        break;
      case "session.ended":
        this.session = null;
        this.ended = d.session;
        this.teardown();
        break;
      case "diary.settings_changed":
        this.snapshotSeconds = d.snapshot_seconds;
        this.scheduleSnapshots();
        break;
      default:
        return;
    }
    this.render();
  }

  // Called when the room (re)joined: a watcher asks for the screen whenever someone is live.
  joined() {
    if (this.session && !this.publishing) this.watch();
  }

  // The go-live form offers the milestones still open, as the job is now (a paid one is not offered);
  // the choice made stays chosen while it is still offered.
  // The job as it is now: the milestones a session can be about; once it is complete, no going live
  // (as the server draws a completed job's card; a session still running goes on until it is stopped).
  jobChanged(job) {
    this.offerMilestones(job.milestones);
    const form = this.$("golive-form");
    if (job.status === "completed" && form && !this.session) {
      form.replaceWith(el("p", { class: "muted small", text: "This job is complete: there is no work left to share live." }));
    }
  }

  offerMilestones(milestones) {
    const form = this.$("golive-form");
    if (!form) return;
    const open = milestones.filter((m) => OPEN_MILESTONE.has(m.state));
    let select = form.querySelector("select[name=milestone]");
    if (!select && !open.length) return;
    if (!select) {
      select = el("select", { name: "milestone", "aria-label": "Milestone" });
      form.querySelector("input[name=title]").after(select);
    }
    const chosen = select.value;
    const keep = open.some((m) => String(m.id) === chosen) || (chosen === "" && select.options.length > 0);
    select.replaceChildren(el("option", { value: "", text: "No milestone" }),
      ...open.map((m) => el("option", { value: String(m.id), text: m.title })));
    select.value = keep ? chosen : (open[0] ? String(open[0].id) : "");
  }

  // ------------------------------------------------------------ watcher

  async watch() {
    if (!this.session || this.publishing) return;
    if (this.session.paused || !this.session.publisher_sid) { this.setStage("paused"); return; }
    this.setStage("connecting");
    const ack = await this.socket.timeout(10000).emitWithAck("live_watch", { job: this.job }).catch(() => null);
    if (ack?.ok && ack.session) this.session = ack.session;
  }

  async onSignal({ from, data }) {
    if (this.publishing) return this.onAnswer(from, data);
    if (data.description?.type === "offer") {
      this.peers.get(from)?.close();
      const pc = new RTCPeerConnection({ iceServers: this.iceServers });
      this.peers.set(from, pc);
      pc.onicecandidate = (e) => { if (e.candidate) this.signal(from, { candidate: e.candidate.toJSON() }); };
      pc.ontrack = (e) => {
        this.video.srcObject = e.streams[0];
        this.video.play().catch(() => {});
      };
      pc.onconnectionstatechange = () => { if (pc.connectionState === "failed") this.watch(); };
      await pc.setRemoteDescription(data.description);
      await pc.setLocalDescription(await pc.createAnswer());
      this.signal(from, { description: pc.localDescription.toJSON() });
    } else if (data.candidate) {
      await this.peers.get(from)?.addIceCandidate(data.candidate).catch(() => {});
    }
  }

  signal(to, data) {
    this.socket.emit("signal", { job: this.job, to, data });
  }

  // ------------------------------------------------------------ publisher

  bindControls() {
    const form = this.$("golive-form");
    form?.addEventListener("submit", (e) => { e.preventDefault(); this.goLive(); });
    this.$("live-pause")?.addEventListener("click", () => this.togglePause());
    this.$("live-stop")?.addEventListener("click", () => this.stop());
    this.$("live-resume")?.addEventListener("click", () => this.resumeAfterReload());
    this.$("live-end")?.addEventListener("click", () => this.stop());
  }

  async capture() {
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
      stream.getVideoTracks()[0].addEventListener("ended", () => this.stop()); // the browser's own "Stop sharing"
      return stream;
    } catch (error) {
      this.showError(error.name === "NotAllowedError" ? "Sharing was cancelled." : `Could not share the screen: ${error.message}`);
      return null;
    }
  }

  async goLive() {
    if (this.starting) return; // a double click starts one session (the second would be refused: "already live")
    const form = this.$("golive-form");
    const button = form.querySelector("button[type=submit]");
    this.starting = true;
    button.disabled = true;
    try {
      const stream = await this.capture();
      if (!stream) return;
      const payload = { job: this.job, title: form.title.value };
      if (form.milestone?.value) payload.milestone_id = Number(form.milestone.value);
      const ack = await this.socket.timeout(10000).emitWithAck("live_start", payload).catch(() => ({ ok: false, error: { message: "Not connected." } }));
      if (!ack.ok) { stream.getTracks().forEach((t) => t.stop()); this.showError(ack.error.message); return; }
      this.showError(null);
      this.startPublishing(stream, ack.session);
    } finally {
      this.starting = false;
      button.disabled = false;
    }
  }

  async resumeAfterReload() {
    const stream = await this.capture();
    if (!stream) return;
    const ack = await this.socket.timeout(10000).emitWithAck("live_resume", { job: this.job }).catch(() => ({ ok: false, error: { message: "Not connected." } }));
    if (!ack.ok) { stream.getTracks().forEach((t) => t.stop()); this.showError(ack.error.message); return; }
    this.startPublishing(stream, ack.session);
  }

  startPublishing(stream, session) {
    this.stream = stream;
    this.session = session;
    this.paused = false;
    this.video.srcObject = stream; // the freelancer sees what is shared
    this.video.play().catch(() => {});
    this.timers.push(setInterval(() => this.heartbeat(), HEARTBEAT_MS));
    this.scheduleSnapshots();
    this.setStage("live");
    this.render();
  }

  async heartbeat() {
    const ack = await this.socket.timeout(10000).emitWithAck("live_heartbeat", { job: this.job }).catch(() => null);
    if (ack && (!ack.ok || ack.publishing === false)) this.teardown(); // another tab took over, or it ended
  }

  async resume() {
    // The socket came back (network blip): take the session over again from this socket.
    const ack = await this.socket.timeout(10000).emitWithAck("live_resume", { job: this.job }).catch(() => null);
    if (ack?.ok) { this.session = ack.session; this.render(); }
    else if (ack && !ack.ok) this.teardown();
  }

  async call(watcher) {
    this.peers.get(watcher.sid)?.pc.close();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.peers.set(watcher.sid, { pc, name: watcher.name });
    for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
    pc.onicecandidate = (e) => { if (e.candidate) this.signal(watcher.sid, { candidate: e.candidate.toJSON() }); };
    pc.onconnectionstatechange = () => {
      if (["failed", "closed", "disconnected"].includes(pc.connectionState)) {
        setTimeout(() => { if (pc.connectionState !== "connected" && this.peers.get(watcher.sid)?.pc === pc) { pc.close(); this.peers.delete(watcher.sid); this.render(); } }, 3000);
      }
      this.render();
    };
    await pc.setLocalDescription(await pc.createOffer());
    this.signal(watcher.sid, { description: pc.localDescription.toJSON() });
  }

  async onAnswer(from, data) {
    const peer = this.peers.get(from);
    if (!peer) return;
    if (data.description?.type === "answer") await peer.pc.setRemoteDescription(data.description).catch(() => {});
    else if (data.candidate) await peer.pc.addIceCandidate(data.candidate).catch(() => {});
  }

  async togglePause() {
    const pausing = !this.paused;
    const ack = await this.socket.timeout(10000).emitWithAck(pausing ? "live_pause" : "live_resume", { job: this.job }).catch(() => null);
    if (!ack?.ok) { this.showError(ack?.error?.message || "Not connected."); return; }
    this.paused = pausing;
    this.session = ack.session;
    for (const track of this.stream.getVideoTracks()) track.enabled = !pausing;
    this.render();
  }

  async stop() {
    if (this.stopping) return;
    this.stopping = true;
    await this.socket.timeout(10000).emitWithAck("live_stop", { job: this.job }).catch(() => null);
    this.stopping = false;
    this.teardown();
    this.render();
  }

  teardown() {
    this.timers.forEach(clearInterval);
    this.timers = [];
    clearTimeout(this.snapshotTimer);
    for (const peer of this.peers.values()) (peer.pc || peer).close();
    this.peers.clear();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.setStage(this.ended ? "ended" : "idle");
  }

  // ------------------------------------------------------------ work diary snapshots

  scheduleSnapshots() {
    clearTimeout(this.snapshotTimer);
    if (!this.publishing || !this.snapshotSeconds) return;
    const next = this.lastSnapshot ? this.snapshotSeconds * 1000 : FIRST_SNAPSHOT_MS;
    this.snapshotTimer = setTimeout(async () => { await this.snapshot(); this.scheduleSnapshots(); }, next);
  }

  async snapshot() {
    this.lastSnapshot = Date.now();
    if (!this.publishing || this.paused || !this.video.videoWidth) return;
    const scale = Math.min(1, 1280 / this.video.videoWidth);
    const canvas = el("canvas", { width: Math.round(this.video.videoWidth * scale), height: Math.round(this.video.videoHeight * scale) });
    canvas.getContext("2d").drawImage(this.video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.72));
    if (blob) await upload(`/api/v1/jobs/${this.job}/sessions/${this.session.id}/snapshots`, blob, null, "snapshot.jpg");
  }

  // ------------------------------------------------------------ drawing

  setStage(state) {
    this.stage = state;
    const overlay = this.$("stage-overlay");
    const labels = {
      connecting: "Connecting…", paused: this.role === "freelancer" ? "You paused sharing" : "The freelancer paused sharing", ended: "Session ended", idle: "",
    };
    if (state === "live" || state === "idle") overlay.hidden = true;
    else { overlay.hidden = false; overlay.textContent = labels[state]; }
    if (state === "ended" && this.ended?.duration_seconds != null) {
      overlay.textContent = `Session ended after ${duration(this.ended.duration_seconds * 1000)}`;
    }
    this.video.classList.toggle("hidden-video", state !== "live");
    const fullscreen = this.$("fullscreen");
    if (fullscreen) fullscreen.hidden = state !== "live"; // nothing to enlarge over "Not live" or "Session ended"
    this.render();
  }

  render() {
    const live = Boolean(this.session);
    const mine = this.session?.publisher.id === this.me.id;
    const card = this.$("live-card");
    if (!card) return;
    card.hidden = !live && this.role !== "freelancer" && this.stage !== "ended";
    this.$("stage").hidden = !live && this.stage !== "ended";
    // Layout: while live, the room puts the video beside the chat (room-layout.js and app.css).
    this.$("room-grid")?.classList.toggle("is-live", live);
    const status = this.$("live-status");
    status.textContent = live ? (this.session.paused ? "Paused" : this.publishing ? "You are live" : this.stage === "live" ? "Live" : "Live now") : "Not live";
    status.className = `live-status ${live && !this.session.paused ? "on" : ""}`;
    if (this.session?.title) status.textContent += ` — ${this.session.title}`;
    const form = this.$("golive-form");
    if (form) form.hidden = live;
    const controls = this.$("publisher-controls");
    if (controls) controls.hidden = !this.publishing;
    const resumeBox = this.$("resume-box");
    if (resumeBox) resumeBox.hidden = !(live && mine && !this.publishing);
    const pause = this.$("live-pause");
    if (pause) pause.textContent = this.paused ? "Resume sharing" : "Pause";
    const watchers = this.$("live-watchers");
    if (watchers) {
      const names = [...this.peers.values()].filter((p) => p.pc && ["connected", "connecting", "new"].includes(p.pc.connectionState)).map((p) => p.name);
      watchers.textContent = this.publishing ? (names.length ? `Watching now: ${names.join(", ")}` : "Nobody is watching yet") : "";
    }
    this.renderBadge();
  }

  // The header's badge: LIVE and the time since it started, or Paused while paused.
  renderBadge() {
    const badge = this.$("live-badge");
    if (!badge) return;
    badge.hidden = !this.session;
    if (!this.session) return;
    const paused = Boolean(this.session.paused);
    badge.classList.toggle("paused", paused);
    const word = badge.querySelector(".live-word");
    if (word) word.textContent = paused ? "Paused" : "LIVE";
    badge.querySelector(".live-elapsed").textContent = paused ? "" : elapsed(this.session.started_at);
  }

  showError(message) {
    const box = this.$("live-error");
    box.textContent = message;
    box.hidden = !message;
  }
}
