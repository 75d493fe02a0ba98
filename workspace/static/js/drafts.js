// What this person typed or sent in a room but the server has not stored yet, kept in localStorage
// per user and job: the composer's draft, and the messages waiting to be sent (with their
// client_ref, so sending one again after a reload or a new login never posts it twice).
export class Drafts {
  constructor({ user, job, storage = window.localStorage }) {
    this.storage = storage;
    this.draftKey = `workspace:draft:${user}:${job}`;
    this.unsentKey = `workspace:unsent:${user}:${job}`;
  }

  get draft() { return this.read(this.draftKey) || ""; }

  set draft(text) {
    if (text) this.write(this.draftKey, text);
    else this.remove(this.draftKey);
  }

  // client_ref -> payload, oldest first.
  unsent() {
    const list = this.read(this.unsentKey);
    return new Map(Array.isArray(list) ? list.filter((p) => p && p.client_ref).map((p) => [p.client_ref, p]) : []);
  }

  saveUnsent(pending) {
    if (pending.size) this.write(this.unsentKey, [...pending.values()]);
    else this.remove(this.unsentKey);
  }

  read(key) {
    try {
      const text = this.storage.getItem(key);
      return key === this.draftKey ? text : JSON.parse(text || "null");
    } catch { return null; }
  }

  write(key, value) {
    try { this.storage.setItem(key, typeof value === "string" ? value : JSON.stringify(value)); } catch { /* storage full or off */ }
  }

  remove(key) {
    try { this.storage.removeItem(key); } catch { /* storage off */ }
  }
}
