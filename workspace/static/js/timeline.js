// The room timeline: one renderer per event type, messages kept up to date by their edit/delete events.
import { duration, el, fileIcon, timeEl } from "./dom.js";
import { timelineOf } from "./event-effects.js";
import { dayEnd, timeNode } from "./time.js";
import { shown } from "./money.js";
import { clip, htmlText, markdownText } from "./plain-text.js";

const EDIT_WINDOW_MS = 15 * 60 * 1000;
// Which state of a message is newer: deleted beats edited beats posted.
const rank = (m) => (m.deleted ? Infinity : m.edited_at ? Date.parse(m.edited_at) : 0);

export class Timeline {
  constructor({ list, me, job, onReply, onEdit, onDelete }) {
    this.list = list;
    this.me = me;
    this.job = job;
    this.onReply = onReply;
    this.onEdit = onEdit;
    this.onDelete = onDelete;
    this.messages = new Map(); // id -> latest message entity seen (edits and deletes may arrive first)
    this.firstSeq = null;
    this.lastSeq = 0;
  }

  // Newest events, in order, at the bottom.
  append(events) {
    for (const event of events) {
      const node = this.render(event);
      if (node) this.list.append(node);
      if (this.firstSeq === null) this.firstSeq = event.seq;
      this.lastSeq = Math.max(this.lastSeq, event.seq);
    }
  }

  // Older history, in order, at the top (scroll-back).
  prepend(events) {
    const fragment = document.createDocumentFragment();
    for (const event of events) {
      const node = this.render(event);
      if (node) fragment.append(node);
    }
    this.list.prepend(fragment);
    if (events.length) this.firstSeq = Math.min(this.firstSeq ?? Infinity, events[0].seq);
  }

  // How an event shows (event-effects.js says whether: a line, a message, a change to one shown, or
  // nothing); the words of each line are this module's.
  render(event) {
    const d = event.data || {};
    const who = event.actor?.name || "Workspace";
    const shows = timelineOf(event.type);
    if (!shows) return null; // e.g. snapshots: the diary shows them; the room would drown in them
    if (shows === "in-place") {
      this.update(this.remember(d.message)); // an edit or a delete shows on the message itself
      return null;
    }
    switch (event.type) {
      case "message.posted":
        return this.messageNode(this.remember(d.message, event.seq), event);
      case "progress.posted":
        return this.item(event, "progress", el("div", { class: "progress-event" },
          el("div", { class: "progress-line" },
            el("strong", { text: who }), ` reported ${d.progress.percent}%`,
            d.progress.milestone ? ` on “${d.progress.milestone.title}”` : "", "."),
          bar(d.progress.percent),
          d.progress.html ? html("div", "prose note", d.progress.html) : null));
      case "job.created":
        return this.system(event, [el("strong", { text: who }), " created the job."]);
      case "member.joined":
        return this.system(event, [el("strong", { text: d.user.name }), d.role === "client_pending" ? " joined as a client (joining: they accept the terms in force, then every client admits them)." : ` joined as ${d.role}.`]);
      case "member.removed":
        return this.system(event, [el("strong", { text: d.user.name }), ` was removed from the job.`]);
      case "member.admitted":
        // A joining client is a client once they accepted the terms in force and every client admitted them.
        if (d.role === "mediator") return this.system(event, [el("strong", { text: who }), " agreed to ", el("strong", { text: d.user.name }), " as mediator."]);
        if (!event.actor) return this.system(event, [el("strong", { text: d.user.name }), " is now a client: every client has admitted them."], "agreement");
        return this.system(event, [el("strong", { text: who }), " admitted ", el("strong", { text: d.user.name }),
          d.became_client ? " as a client: they are now a client." : " as a client."], "agreement");
      case "agreement.proposed":
        return this.system(event, [el("strong", { text: who }),
          ` proposed terms, version ${d.agreement.version} (${shown({ currency: d.agreement.terms.currency, ...d.agreement }, "total")}). `,
          el("a", { href: `/jobs/${this.job}/agreement`, text: "Review" })], "agreement");
      case "agreement.accepted":
        return this.system(event, [el("strong", { text: who }), ` accepted version ${d.version}`,
          d.became_client === true ? " and is now a client." : d.became_client === false ? "; they become a client once every client admits them." : "."], "agreement");
      case "agreement.in_force":
        return this.system(event, [`Version ${d.agreement.version} of the agreement is now in force.`], "agreement");
      case "upfront.requested": {
        // The event carries what was added; when terms raised an earlier amount, say the new total.
        const total = d.balances?.upfront_requested;
        if (typeof total === "number" && total > d.amount) {
          return this.system(event, [`The amount due up front is now ${shown({ ...d, amount: total, display: null })} in total (${shown(d)} more), as agreed.`], "money");
        }
        return this.system(event, [`${shown(d)} is due up front, as agreed.`], "money");
      }
      case "milestone.submitted":
        return this.system(event, [el("strong", { text: who }), ` submitted “${d.milestone.title}” for review.`], "milestone");
      case "milestone.approved":
        return this.system(event, d.auto
          ? [`“${d.milestone.title}” was approved automatically after ${d.days} day${d.days === 1 ? "" : "s"} without an answer.`]
          : [el("strong", { text: who }), ` approved “${d.milestone.title}” (${shown(d.milestone)}).`], "money");
      case "milestone.changes_requested":
        return this.system(event, [el("strong", { text: who }), ` requested changes to “${d.milestone.title}” (${d.revision_label}): `,
          el("em", { text: d.reason })], "milestone");
      case "milestone.cancel_requested":
        return this.system(event, [el("strong", { text: who }), ` asked to cancel “${d.milestone.title}”.`], "milestone");
      case "milestone.cancelled":
        return this.system(event, [`“${d.milestone.title}” was cancelled by agreement.`], "milestone");
      case "milestone.review_extended": {
        return this.system(event, [`The review of “${d.milestone.title}” now runs until `, timeNode(d.until, "deadline"), ": ",
          d.reason === "clients_not_told"
            ? "the client had not yet been told that it will be approved automatically."
            : `the client gets the whole ${d.warning_hours} h warning before automatic approval.`], "milestone");
      }
      case "milestone.paid":
        return this.system(event, [`“${d.milestone.title}” is paid in full.`], "money");
      case "payment.sent":
        return this.system(event, [el("strong", { text: who }), ` sent ${shown(d.payment)} (${d.payment.method_label}${d.payment.reference ? `, ${d.payment.reference}` : ""}).`], "money");
      case "payment.confirmed":
        return this.system(event, [el("strong", { text: who }), ` confirmed receiving ${shown(d.payment)}.`], "money");
      case "payment.disputed":
        return this.system(event, [el("strong", { text: who }), ` has not received ${shown(d.payment)}: `, el("em", { text: d.payment.dispute_reason })], "money");
      case "job.completed":
        return this.system(event, ["Every milestone is paid: the job is complete."], "money");
      // Disputes: each event carries the dispute (with its proposals), the milestone and the balances.
      case "dispute.opened":
        return this.system(event, [el("strong", { text: who }), ` disputed “${d.dispute.milestone_title}”: `, el("em", { text: d.dispute.reason })], "dispute");
      case "dispute.proposed":
      case "dispute.accepted":
      case "dispute.resolved": {
        const p = [...d.dispute.proposals].reverse().find((x) => x.state === (event.type === "dispute.resolved" ? "accepted" : "pending")) || d.dispute.proposals.at(-1);
        const what = !p ? "" : p.kind === "amount" ? `${p.amount_display ?? shown({ ...d.milestone, amount: p.amount, display: null })} to the freelancer` : ["one more revision, due ", timeNode(dayEnd(p.due), "deadline")];
        if (event.type === "dispute.proposed") return this.system(event, [el("strong", { text: who }), ` proposed to settle “${d.dispute.milestone_title}”: `, what, p?.note ? ` (“${p.note}”)` : "", "."], "dispute");
        if (event.type === "dispute.accepted") return this.system(event, [el("strong", { text: who }), ` accepted the proposal for “${d.dispute.milestone_title}”; it waits for the other side.`], "dispute");
        return this.system(event, [`The dispute over “${d.dispute.milestone_title}” is resolved: `, what, "."], "dispute");
      }
      case "dispute.withdrawn":
        return this.system(event, [el("strong", { text: who }), ` withdrew the dispute over “${d.dispute.milestone_title}”.`], "dispute");
      case "review.posted":
        return this.system(event, [el("strong", { text: who }), ` left a ${d.review.rating}-star review.`], "agreement");
      case "session.started":
        return this.system(event, [el("strong", { text: who }), " went live", d.session.title ? `: ${d.session.title}` : "", "."], "live");
      case "session.paused": {
        const mine = this.me.role === "freelancer";
        return this.system(event, [d.reason === "disconnected"
          ? `The live session paused (${mine ? "your" : "the freelancer's"} page disconnected).`
          : `${mine ? "You" : "The freelancer"} paused sharing.`], "live");
      }
      case "session.resumed":
        return this.system(event, [`${this.me.role === "freelancer" ? "You" : "The freelancer"} resumed sharing.`], "live");
      case "session.ended":
        return this.system(event, [`The live session ended after ${duration((d.duration_seconds || 0) * 1000)}`, d.reason === "no_heartbeat" ? " (connection lost)." : "."], "live");
      case "snapshot.deleted":
        return this.system(event, [el("strong", { text: who }), " deleted a snapshot from the work diary."], "live");
      case "diary.settings_changed":
        return this.system(event, [d.snapshot_seconds ? `Snapshots now every ${d.snapshot_seconds < 60 ? `${d.snapshot_seconds} s` : `${Math.round(d.snapshot_seconds / 60)} min`} while live.` : "Snapshots are now off."], "live");
      default:
        return this.system(event, [el("strong", { text: who }), ` ${event.type.replace(/[._]/g, " ")}.`]);
    }
  }

  // Keep the newest state of each message: an edit or delete seen before the post (scroll-back) wins.
  remember(message, seq) {
    const known = this.messages.get(message.id);
    const latest = known && rank(known) > rank(message) ? known : message;
    const merged = { ...latest, seq: seq ?? known?.seq ?? latest.seq };
    this.messages.set(message.id, merged);
    return merged;
  }

  item(event, kind, ...children) {
    // id="event-<seq>": notification links open the room at one event (#event-<seq>).
    return el("li", { class: `event event-${kind}`, id: `event-${event.seq}`, dataset: { seq: event.seq } }, ...children);
  }

  system(event, parts, kind = "system") {
    return this.item(event, kind, el("p", {}, ...parts, " ", timeEl(event.at)));
  }

  messageNode(message, event) {
    const mine = message.author.id === this.me.id;
    const node = this.item(event, `message${mine ? " mine" : ""}`);
    node.dataset.messageId = message.id;
    if (message.client_ref) node.dataset.clientRef = message.client_ref;
    this.fill(node, message);
    return node;
  }

  update(message) {
    const node = this.list.querySelector(`[data-message-id="${message.id}"]`);
    if (node) this.fill(node, message);
    // The replies that quote it follow: an edit shows in their quotes (read from the original as it is
    // now), a delete erases them (the server sends no excerpt any more).
    for (const [id, reply] of this.messages) {
      if (reply.reply_to?.id !== message.id || !reply.reply_to.excerpt) continue;
      const now = message.deleted ? { ...reply, reply_to: { ...reply.reply_to, excerpt: "" } } : reply;
      this.messages.set(id, now);
      const replyNode = this.list.querySelector(`[data-message-id="${id}"]`);
      if (replyNode) this.fill(replyNode, now);
    }
  }

  fill(node, message) {
    node.replaceChildren();
    const mine = message.author.id === this.me.id;
    const head = el("div", { class: "message-head" },
      el("strong", { text: mine ? "You" : message.author.name }), " ", timeEl(message.created_at),
      message.edited_at && !message.deleted ? el("span", { class: "muted small", text: " · edited" }) : null);
    const bubble = el("div", { class: "bubble" });
    if (message.reply_to) {
      bubble.append(el("blockquote", { class: "reply-quote" },
        el("strong", { text: message.reply_to.author.name }), ": ", this.quote(message.reply_to)));
    }
    if (message.deleted) {
      bubble.append(el("p", { class: "deleted", text: "Message deleted" }));
    } else if (message.erased) {
      // A version an edit replaced: its text is erased, the edit event carries the current one.
      bubble.append(el("p", { class: "deleted", text: "Earlier version, replaced by an edit" }));
    } else {
      if (message.html) bubble.append(html("div", "prose", message.html));
      if (message.attachments?.length) bubble.append(this.files(message.attachments));
    }
    node.append(head, bubble);
    if (!message.deleted) {
      const actions = el("div", { class: "message-actions" });
      if (this.onReply) actions.append(el("button", { class: "link", type: "button", text: "Reply", onclick: () => this.onReply(message) }));
      const age = Date.now() - new Date(message.created_at).getTime();
      if (mine && age < EDIT_WINDOW_MS && this.onEdit) {
        actions.append(el("button", { class: "link", type: "button", text: "Edit", onclick: () => this.onEdit(message) }));
      }
      if (mine && this.onDelete) actions.append(el("button", { class: "link", type: "button", text: "Delete", onclick: () => this.onDelete(message) }));
      node.append(actions);
    }
  }

  // A reply's quote as people read the original: its rendered text when it is on the page.
  quote(replyTo) {
    if (!replyTo.excerpt) return "(deleted)";
    const original = this.messages.get(replyTo.id);
    if (original?.html && !original.deleted && !original.erased) return clip(htmlText(original.html));
    return clip(markdownText(replyTo.excerpt));
  }

  files(attachments) {
    return el("ul", { class: "files" }, attachments.map((a) => el("li", {},
      a.thumb_url
        ? el("a", { href: a.url, target: "_blank", rel: "noopener" }, el("img", { src: a.thumb_url, alt: a.name, class: "thumb", loading: "lazy" }))
        : el("a", { href: a.url, class: "file-link" }, fileIcon(), " ", a.name, el("span", { class: "muted small", text: ` ${size(a.size)}` })))));
  }

  lastMessage() {
    const nodes = this.list.querySelectorAll(".event-message[data-message-id]");
    const node = nodes[nodes.length - 1];
    return node ? { node, seq: Number(node.dataset.seq), message: this.messages.get(Number(node.dataset.messageId)) } : null;
  }
}


export function bar(percent) {
  const fill = el("span", { class: "bar-fill" });
  fill.style.width = `${percent}%`;
  return el("div", { class: "bar", role: "img", "aria-label": `${percent}% done` }, fill);
}

function html(tag, className, sanitized) {
  // Message and note HTML is rendered and sanitized on the server (Markdown, no raw HTML, nh3).
  const node = document.createElement(tag);
  node.className = className;
  node.innerHTML = sanitized; // bare addresses arrive as links already (rendering.py)
  return node;
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}
