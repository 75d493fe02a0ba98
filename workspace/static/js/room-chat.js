// The room's chat column: the timeline as it scrolls (a reader at the bottom stays there, one scrolled
// up is offered "New messages ↓"), the "new since your last visit" divider, older history paged by
// seq, opening at one event (?event=, #event-<seq>), "since you were away" and "seen by".
import { api } from "./http.js";
import { el, duration } from "./dom.js";
import { Timeline } from "./timeline.js";

export class Chat {
  constructor({ $, state, me, job, initialAfter, onReply, onEdit, onDelete }) {
    this.$ = $;
    this.me = me;
    this.job = job;
    this.initialAfter = initialAfter;
    this.myRead = state.job.last_read_seq;
    this.reads = new Map(state.job.members.map((m) => [m.id, m.last_read_seq]));
    this.members = new Map(state.job.members.map((m) => [m.id, m]));
    this.list = $("timeline");
    this.scroller = $("timeline-scroll");
    this.timeline = new Timeline({ list: this.list, me, job, onReply, onEdit, onDelete });
    this.dividerShown = false;
    this.loadingOlder = false;
    this.highlightTimer = null;
    this.layout = null; // the phone tabs (set by the room): revealing an event shows the chat tab
    // Phone tabs (the chat panel may be hidden while events arrive): back on the chat, a reader who was
    // at the bottom is at the bottom again, and one who had scrolled up finds their place.
    this.place = { atBottom: true, top: 0 };
    this.scroller.addEventListener("scroll", () => {
      if (!this.scroller.clientHeight) return; // hidden: display none resets the offsets
      this.place.atBottom = this.nearBottom();
      this.place.top = this.scroller.scrollTop;
      if (this.place.atBottom) $("new-below").hidden = true;
    });
    // Content that grows after it was drawn (an image loading, a long message, an edit), and the chat
    // itself getting shorter (a banner above it: a review bar, a dispute, "since you were away"), keep a
    // reader who was at the bottom at the bottom; one who had scrolled up stays where they were.
    // (A resize fires no scroll event, so `place` still says where the reader was before it.)
    const pin = new ResizeObserver(() => {
      if (this.scroller.clientHeight && this.place.atBottom && !this.atVeryBottom()) this.scrollToBottom();
    });
    pin.observe(this.list);
    pin.observe(this.scroller);
    $("new-below").addEventListener("click", () => this.scrollToBottom());
    $("load-older").hidden = initialAfter === 0;
    $("load-older").addEventListener("click", () => this.loadOlder());
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !$("load-older").hidden) this.loadOlder();
    }, { root: this.scroller }).observe($("load-older"));
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  // Nothing at all below the fold (nearBottom allows a little, for a reader who is "about" there).
  atVeryBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 1;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.$("new-below").hidden = true;
  }

  // The chat tab is shown again (phone): back where the reader was.
  shown() {
    if (!this.scroller.clientHeight) return;
    if (this.place.atBottom) this.scrollToBottom(); else this.scroller.scrollTop = this.place.top;
  }

  // New events in order: drawn in the timeline (the unread divider before the first unread one), then
  // `applyEffects` (what else they change), unsent messages kept last, and the reader kept at the
  // bottom if they were there or the news is their own.
  receive(events, applyEffects) {
    const stick = (this.scroller.clientHeight ? this.nearBottom() : this.place.atBottom) || events.some((e) => e.actor?.id === this.me.id);
    let rest = events;
    if (!this.dividerShown) {
      const firstUnread = events.find((e) => e.seq > this.myRead && e.actor?.id !== this.me.id);
      if (firstUnread && this.myRead > 0) {
        this.timeline.append(events.slice(0, events.indexOf(firstUnread)));
        this.list.append(el("li", { class: "unread-divider", id: "unread-divider" }, el("span", { text: "New since your last visit" })));
        rest = events.slice(events.indexOf(firstUnread));
      }
      this.dividerShown = true;
    }
    this.timeline.append(rest);
    applyEffects(events);
    for (const node of this.list.querySelectorAll(":scope > .pending")) this.list.append(node); // unsent stay last
    if (stick) this.scrollToBottom(); else this.$("new-below").hidden = false;
    this.$("empty-room").hidden = this.timeline.lastSeq > 0 || this.list.children.length > 0;
    this.renderSeenBy();
  }

  // Scroll to the event `seq` (or the first shown one after it) and highlight it briefly; false if not loaded.
  reveal(seq) {
    const node = document.getElementById(`event-${seq}`)
      || [...this.list.querySelectorAll("li[data-seq]")].find((n) => Number(n.dataset.seq) >= seq);
    if (!node || (this.timeline.firstSeq ?? Infinity) > seq) return false;
    this.layout?.show("panel-chat"); // a phone on another tab
    this.scroller.scrollTop += node.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top - this.scroller.clientHeight / 3;
    node.scrollIntoView({ block: "nearest" });
    document.querySelector(".event-target")?.classList.remove("event-target");
    node.classList.add("event-target");
    clearTimeout(this.highlightTimer);
    this.highlightTimer = setTimeout(() => node.classList.remove("event-target"), 4000);
    this.$("new-below").hidden = this.nearBottom();
    return true;
  }

  // Older history, paged by seq, when scrolling to the top.
  async loadOlder() {
    const before = this.timeline.firstSeq ?? this.initialAfter + 1;
    if (this.loadingOlder || before <= 1) return;
    this.loadingOlder = true;
    this.$("load-older").textContent = "Loading…";
    const page = await api("GET", `/api/v1/jobs/${this.job}/events?before=${before}&limit=50`);
    this.loadingOlder = false;
    this.$("load-older").textContent = "Load earlier";
    if (!page.ok) return;
    this.onOlder?.(page.events); // the room checks their hash chain (chain-verify.js)
    const height = this.scroller.scrollHeight;
    this.timeline.prepend(page.events);
    this.scroller.scrollTop += this.scroller.scrollHeight - height;
    this.$("load-older").hidden = !page.more;
  }

  // ------------------------------------------------------------ who is here, who has read what

  // member.joined / member.removed, and a joining client who became a client.
  setMember(user, changes) {
    if (changes === null) { this.members.delete(user.id); return; }
    const known = this.members.get(user.id);
    if (!known && !user.name) return; // a role change for someone this page does not list
    this.members.set(user.id, { ...(known || user), ...changes });
  }

  read(userId, seq) {
    this.reads.set(userId, Math.max(this.reads.get(userId) || 0, seq));
    this.renderSeenBy();
  }

  renderSeenBy() {
    const last = this.timeline.lastMessage();
    const box = this.$("seen-by");
    if (!last) { box.textContent = ""; return; }
    // Who else has read it: never its author, and never the reader themself ("Seen by you" tells them nothing).
    const others = [...this.members.values()].filter((m) => m.id !== last.message?.author.id && m.id !== this.me.id);
    const seen = others.filter((m) => (this.reads.get(m.id) || 0) >= last.seq);
    box.textContent = !seen.length ? "" : seen.length === others.length && others.length > 1
      ? "Seen by everyone" : `Seen by ${seen.map((m) => m.name).join(", ")}`;
  }

  // "Since you were away": what others did since this person last read the room.
  renderAway(away) {
    if (!away) return;
    const parts = [];
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    if (away.messages) parts.push(plural(away.messages, "message"));
    if (away.progress) parts.push(plural(away.progress, "progress update"));
    if (away.sessions) {
      const time = duration(away.session_seconds * 1000);
      parts.push(`${plural(away.sessions, "live session")} (${away.live_now ? (away.sessions > 1 ? `${time}, one live now` : "live now") : time})`);
    }
    if (away.payments) parts.push(plural(away.payments, "payment update"));
    for (const m of away.in_review) {
      const left = m.review_due_at ? Date.parse(m.review_due_at) - Date.now() : null;
      parts.push(`“${m.title}” in review${left > 0 ? `, auto-approval in ${duration(left)}` : ""}`);
    }
    if (!parts.length) parts.push(plural(away.events, "update"));
    const box = this.$("away");
    box.replaceChildren(el("strong", { text: "Since you were away: " }), parts.join(" · "), " ",
      el("button", { class: "link", type: "button", text: "Show", onclick: () => this.$("unread-divider")?.scrollIntoView({ block: "start" }) }), " ",
      el("button", { class: "link", type: "button", text: "Dismiss", onclick: () => { box.hidden = true; } }));
    box.hidden = false;
  }
}
