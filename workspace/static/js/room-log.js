// The room's ordered log in the browser: keep the highest seq, drop duplicates, notice gaps,
// and (re)join with `after` whenever we may have missed something. Rendering is someone else's job;
// checking the hash chain is `chain`'s (chain-verify.js ChainCheck), fed every event applied here.

export class RoomLog {
  constructor({ socket, job, after = 0, pageLimit = 20, onEvents, onStatus, onResync, chain = null }) {
    this.socket = socket;
    this.chain = chain;
    this.job = job;
    this.lastSeq = after;
    this.pageLimit = pageLimit;
    this.onEvents = onEvents;
    this.onStatus = onStatus || (() => {});
    this.onResync = onResync || (() => location.reload());
    this.joining = false;
    this.again = false;
    this.queue = [];
  }

  start() {
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", () => this.onStatus("reconnecting"));
    this.socket.io.on("reconnect_attempt", () => this.onStatus("reconnecting"));
    this.socket.on("connect_error", () => this.onStatus("reconnecting"));
    this.socket.on("event", (event) => this.receive(event));
    this.socket.on("head", (head) => {
      if (head.job === this.job && head.last_seq > this.lastSeq) this.join();
    });
    this.socket.on("resync_required", (data) => { if (data.job === this.job) this.onResync(); });
    if (this.socket.connected) this.join();
  }

  receive(event) {
    if (event.job !== this.job) return;
    if (this.joining) this.queue.push(event);
    else this.apply([event]);
  }

  // Apply events in seq order: duplicates are dropped, a gap triggers a join from lastSeq — unless the
  // events are the server's own page after lastSeq (`served`): a gap there is events the server no longer
  // has (the chain check reports them), not something missed.
  apply(events, served = false) {
    const fresh = [];
    for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
      if (event.seq <= this.lastSeq) continue;
      if (event.seq > this.lastSeq + 1) {
        if (!served) { this.join(); break; }
        this.chain?.gap(this.lastSeq + 1, event.seq - 1);
      }
      fresh.push(event);
      this.lastSeq = event.seq;
    }
    if (fresh.length) {
      this.chain?.received(fresh);
      this.onEvents(fresh);
    }
  }

  async join() {
    if (this.joining) { this.again = true; return; }
    this.joining = true;
    this.onStatus("syncing");
    let failed = false;
    try {
      for (let page = 0; page < this.pageLimit; page += 1) {
        const ack = await this.socket.timeout(15000).emitWithAck("join", { job: this.job, after: this.lastSeq, hidden: document.hidden });
        if (!ack.ok) {
          if (ack.error?.code === "resync_required") this.onResync();
          else this.onStatus("error", ack.error);
          failed = true;
          break;
        }
        this.apply(ack.events, true);
        if (!ack.more) break;
      }
    } catch {
      failed = true; // timed out: the connection is probably gone; reconnect will join again
      this.onStatus("reconnecting");
    } finally {
      this.joining = false;
      const queued = this.queue;
      this.queue = [];
      this.apply(queued);
      if (!failed) {
        this.chain?.settled(this.lastSeq);
        this.onStatus("live");
      }
      if (this.again) { this.again = false; this.join(); }
    }
  }
}
