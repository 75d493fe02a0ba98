// The composer: typing, replies, files, sending (a message waits at the bottom until its event
// arrives, and outlives a reload or a logout in localStorage), the length limit the server sent,
// and editing or deleting one's own messages.
import { upload } from "./http.js";
import { el } from "./dom.js";
import { Drafts } from "./drafts.js";
import { CharLimit } from "./char-limit.js";

const NOT_CONNECTED = { ok: false, error: { message: "Not connected; try again." } };

export class Composer {
  constructor({ socket, job, me, $, limit, log, login, status, chat }) {
    this.socket = socket;
    this.job = job;
    this.$ = $;
    this.log = log; // acks carry the event: applied at once, as if it came from the room
    this.login = login; // whether this tab's login holds (login-watch.js)
    this.status = status; // the connection line, for errors without a place of their own
    this.chat = chat; // the timeline, where unsent messages wait
    this.form = $("composer");
    this.drafts = new Drafts({ user: me.id, job });
    // client_ref -> payload, until its event arrives (kept in localStorage per user and job).
    this.pending = this.drafts.unsent();
    this.replyTo = null;
    this.files = []; // {file, id, done, error, node}
    socket.on("connect", () => { for (const ref of this.pending.keys()) this.send(ref); });
    for (const [ref, payload] of this.pending) this.showPending(ref, payload); // left unsent by an earlier page
    if (this.form) this.bind($("message-body"), limit);
  }

  // Whether something typed or unsent waits here.
  get keeping() { return this.pending.size > 0 || Boolean(this.$("message-body")?.value); }

  // ------------------------------------------------------------ what waits to be sent

  pendingNode(ref) {
    return document.querySelector(`.pending[data-client-ref="${CSS.escape(ref)}"]`);
  }

  pendingState(ref, ...parts) {
    this.pendingNode(ref)?.querySelector(".pending-state")?.replaceChildren(...parts);
  }

  // The login ended: each waiting message says why it waits.
  markLoggedOut() {
    for (const ref of this.pending.keys()) this.pendingState(ref, "Not sent yet: log in again to send it.");
  }

  // A message on its way: shown at the bottom until its event arrives (restored after a reload).
  showPending(ref, payload) {
    const files = payload.attachments?.length || 0;
    this.chat.list.append(el("li", { class: "event event-message mine pending", dataset: { clientRef: ref } },
      el("div", { class: "message-head" }, el("strong", { text: "You" }), " ", el("span", { class: "pending-state muted small", text: "Sending…" })),
      el("div", { class: "bubble" }, el("p", { text: payload.body || `${files} file(s)` }))));
  }

  // message.posted: its unsent copy goes, the real one is in the timeline.
  arrived(message) {
    if (!message.client_ref) return;
    this.pendingNode(message.client_ref)?.remove();
    if (this.pending.delete(message.client_ref)) this.drafts.saveUnsent(this.pending);
  }

  discard(ref) {
    this.pending.delete(ref);
    this.drafts.saveUnsent(this.pending);
    this.pendingNode(ref)?.remove();
  }

  async send(ref) {
    const payload = this.pending.get(ref);
    if (!payload) return;
    this.pendingNode(ref)?.classList.remove("failed");
    if (this.login.loggedOut) { this.pendingState(ref, "Not sent yet: log in again to send it."); return; }
    if (!this.socket.connected) { this.pendingState(ref, "Waiting for the connection…"); return; } // sent on connect
    this.pendingState(ref, "Sending…");
    let ack;
    try {
      ack = await this.socket.timeout(15000).emitWithAck("message", payload);
    } catch {
      this.pendingState(ref, "Waiting for the connection…");
      return; // re-sent on reconnect; client_ref keeps it from posting twice
    }
    if (ack.ok) {
      this.log.apply([ack.event]);
      return;
    }
    if (ack.error?.code === "unauthorized") { // the login ended between the connection and this send
      this.pendingState(ref, "Not sent yet: log in again to send it.");
      this.login.check();
      return;
    }
    this.pendingNode(ref)?.classList.add("failed");
    this.pendingState(ref, ack.error.message, " ",
      el("button", { class: "link", type: "button", text: "Retry", onclick: () => this.send(ref) }), " ",
      el("button", { class: "link", type: "button", text: "Discard", onclick: () => this.discard(ref) }));
  }

  // ------------------------------------------------------------ the form

  startReply(message) {
    this.replyTo = message;
    this.$("reply-banner").hidden = false;
    this.$("reply-name").textContent = message.author.name;
    this.$("message-body").focus();
  }

  cancelReply() {
    this.replyTo = null;
    this.$("reply-banner").hidden = true;
  }

  showError(message) {
    this.$("composer-error").textContent = message;
    this.$("composer-error").hidden = !message;
  }

  bind(body, limitChars) {
    const { $ } = this;
    let lastTyping = 0;
    const fit = () => {
      body.style.height = "auto";
      body.style.height = `${Math.min(body.scrollHeight, 200)}px`;
    };
    body.value = this.drafts.draft; // typed before a reload or a logout
    if (body.value) fit();
    const limit = new CharLimit({ field: body, counter: $("composer-count"), error: $("composer-error"), limit: limitChars });
    body.addEventListener("input", () => {
      this.drafts.draft = body.value;
      fit();
      if (Date.now() - lastTyping > 2500 && body.value.trim()) {
        lastTyping = Date.now();
        this.socket.emit("typing", { job: this.job });
      }
    });
    body.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.form.requestSubmit(); }
    });
    $("cancel-reply").addEventListener("click", () => this.cancelReply());
    $("file-input").addEventListener("change", (e) => {
      for (const file of e.target.files) this.addFile(file);
      e.target.value = "";
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = body.value.trim();
      if (this.files.some((f) => !f.done && !f.error)) { this.showError("Wait for the files to finish uploading."); return; }
      const ids = this.files.filter((f) => f.id).map((f) => f.id);
      if (!text && !ids.length) return;
      if (limit.over) { this.showError(limit.message()); body.focus(); return; }
      const ref = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
      const payload = { job: this.job, body: text, client_ref: ref };
      if (this.replyTo) payload.reply_to = this.replyTo.id;
      if (ids.length) payload.attachments = ids;
      this.pending.set(ref, payload);
      this.drafts.saveUnsent(this.pending);
      this.showPending(ref, payload);
      this.chat.scrollToBottom();
      body.value = "";
      this.drafts.draft = "";
      limit.render();
      body.style.height = "auto";
      this.files = [];
      $("pending-files").replaceChildren();
      this.cancelReply();
      this.showError("");
      this.send(ref);
    });
  }

  async addFile(file) {
    const entry = { file, id: null, done: false, error: null };
    const progress = el("progress", { max: "1", value: "0" });
    entry.node = el("li", {}, el("span", { text: file.name }), " ", progress, " ",
      el("button", { class: "link", type: "button", text: "Remove", onclick: () => { this.files = this.files.filter((f) => f !== entry); entry.node.remove(); } }));
    this.files.push(entry);
    this.$("pending-files").append(entry.node);
    const result = await upload(`/api/v1/jobs/${this.job}/attachments`, file, (fraction) => { progress.value = fraction; });
    if (result.ok) {
      entry.id = result.attachment.id;
      entry.done = true;
      progress.replaceWith(el("span", { class: "muted small", text: "ready" }));
    } else {
      entry.error = result.error.message;
      progress.replaceWith(el("span", { class: "field-error", text: result.error.message }));
    }
  }

  // ------------------------------------------------------------ edit and delete

  startEdit(message) {
    const timeline = this.chat.timeline;
    const node = document.querySelector(`[data-message-id="${message.id}"] .bubble`);
    if (!node) return;
    const area = el("textarea", { class: "edit-area", rows: "3" });
    area.value = message.body;
    const error = el("p", { class: "field-error", hidden: true });
    const save = el("button", { class: "button small primary", type: "button", text: "Save" });
    const cancel = el("button", { class: "button small", type: "button", text: "Cancel", onclick: () => timeline.update(timeline.messages.get(message.id)) });
    save.addEventListener("click", async () => {
      save.disabled = true;
      const ack = await this.socket.timeout(15000).emitWithAck("edit_message", { job: this.job, id: message.id, body: area.value })
        .catch(() => NOT_CONNECTED);
      save.disabled = false;
      if (ack.ok) this.log.apply([ack.event]);
      else { error.textContent = ack.error.message; error.hidden = false; }
    });
    // As in the composer: Enter saves, Shift+Enter starts a new line; Escape cancels.
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); save.click(); }
      else if (e.key === "Escape") { e.preventDefault(); cancel.click(); }
    });
    area.setAttribute("aria-label", "Edit your message (Enter saves, Shift+Enter starts a new line, Escape cancels)");
    node.replaceChildren(area, error, el("div", { class: "actions" }, save, cancel));
    area.focus();
  }

  async remove(message) {
    if (!confirm("Delete this message? The text and files are erased for everyone. What remains: that a message existed, who posted it and when.")) return;
    const ack = await this.socket.timeout(15000).emitWithAck("delete_message", { job: this.job, id: message.id })
      .catch(() => NOT_CONNECTED);
    if (ack.ok) this.log.apply([ack.event]);
    else this.status.show("error", ack.error);
  }
}
