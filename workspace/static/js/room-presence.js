// Who is in the room now (presence), who is typing (cleared when their message arrives), and read
// receipts: this person's read cursor goes to the server a moment after news is seen.
import { el } from "./dom.js";

export class Presence {
  constructor({ socket, job, me, chat, $ }) {
    this.socket = socket;
    this.job = job;
    this.me = me;
    this.chat = chat; // keeps the read cursors and draws "seen by"
    this.$ = $;
    this.typists = new Map(); // user id -> {name, timer}
    this.readTimer = null;
    this.lastSeq = () => 0; // the log's highest seq (set by the room)
    socket.on("presence", (p) => { if (p.job === job) this.renderHere(p.watching); });
    socket.on("typing", (t) => { if (t.job === job && t.user.id !== me.id) this.typing(t.user); });
    socket.on("read", (r) => { if (r.job === job) chat.read(r.user.id, r.seq); });
    document.addEventListener("visibilitychange", () => { this.tellVisibility(); this.scheduleRead(); });
  }

  // A room in view is not sent notifications of its own events; out of view (a background tab) it is,
  // so the bell and system notifications still tell. Joining says it too, so a miss here heals then.
  tellVisibility() {
    if (this.socket.connected) this.socket.emit("visibility", { job: this.job, hidden: document.hidden });
  }

  renderHere(watching) {
    this.$("here").replaceChildren(...watching.map((m) => el("li", { title: `${m.name} (${m.role})` },
      el("span", { class: `avatar role-${m.role}`, "aria-hidden": "true", text: m.name.slice(0, 1).toUpperCase() }),
      el("span", { class: "here-name", text: m.id === this.me.id ? "You" : m.name }))));
    this.$("here-count").textContent = String(watching.length);
  }

  typing(user) {
    clearTimeout(this.typists.get(user.id)?.timer);
    this.typists.set(user.id, { name: user.name, timer: setTimeout(() => this.stopped(user.id), 5000) });
    this.renderTyping();
  }

  // They stopped, or sent what they were typing.
  stopped(userId) {
    if (!this.typists.has(userId)) return;
    clearTimeout(this.typists.get(userId).timer);
    this.typists.delete(userId);
    this.renderTyping();
  }

  renderTyping() {
    const names = [...this.typists.values()].map((t) => t.name);
    this.$("typing").textContent = names.length ? `${names.join(" and ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
  }

  scheduleRead() {
    if (this.readTimer || document.visibilityState !== "visible" || this.lastSeq() <= this.chat.myRead) return;
    this.readTimer = setTimeout(async () => {
      this.readTimer = null;
      const seq = this.lastSeq();
      const ack = await this.socket.timeout(10000).emitWithAck("read", { job: this.job, seq }).catch(() => null);
      if (ack?.ok) { this.chat.myRead = ack.last_read_seq; this.chat.read(this.me.id, ack.last_read_seq); }
    }, 700);
  }
}
