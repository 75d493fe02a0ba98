// The room page: live timeline, composer, presence, typing, read receipts, progress and cadence.
import { io } from "../vendor/socket.io.esm.min.js";
import { RoomLog } from "./room-log.js";
import { Timeline, bar } from "./timeline.js";
import { api, upload } from "./http.js";
import { el, duration, relative, tickTimes } from "./dom.js";
import { MoneyPanel } from "./money-panel.js";
import { Live } from "./live.js";
import { RoomLayout } from "./room-layout.js";
import { CallToAction } from "./call-to-action.js";
import { LoginWatch } from "./login-watch.js";
import { Drafts } from "./drafts.js";
import { CharLimit } from "./char-limit.js";

const state = JSON.parse(document.getElementById("room-state").textContent);
const job = state.job.id;
const me = state.me;
const $ = (id) => document.getElementById(id);

const reads = new Map(state.job.members.map((m) => [m.id, m.last_read_seq]));
const members = new Map(state.job.members.map((m) => [m.id, m]));
let myRead = state.job.last_read_seq;
// Open at the last 50 events, or earlier if that is where the unread ones start (up to 500 back);
// a notification's link (?event=<seq>) opens a few events before that one (up to 1000 back).
const TARGET_REACH = 1000;
const target = (() => {
  const seq = Number(new URLSearchParams(location.search).get("event"));
  return Number.isInteger(seq) && seq >= 1 ? seq : null;
})();
const defaultAfter = Math.max(0, Math.min(state.job.last_seq - 50, state.job.last_read_seq - 3), state.job.last_seq - 500);
const initialAfter = target && target <= state.job.last_seq && target > state.job.last_seq - TARGET_REACH
  ? Math.max(0, Math.min(defaultAfter, target - 3)) : defaultAfter;

const socket = io({ transports: ["websocket"], reconnectionDelayMax: 4000 });
// notifications.js reuses this socket (and `reveal` for links to this room); tests use it too.
window.__room = { socket, reveal: (seq) => reveal(seq) };

// State the functions below share (declared first, so no function reads state declared after it).
// Composer: what was typed and what waits to be sent (client_ref -> payload, until its event
// arrives) outlive the page: kept in localStorage per user and job, restored below.
const drafts = new Drafts({ user: me.id, job });
const pending = drafts.unsent();
// Events that change milestones, money, reviews or whom the terms await: the job is fetched again.
const MONEY_EVENTS = /^(milestone|payment|upfront|job|review)\.|^agreement\.(in_force|proposed|accepted)$|^member\.admitted$/;
let targetShown = false; // a notification's event (?event=) was revealed
const typists = new Map(); // who is typing: user id -> {name, timer}; their message clears them
const MESSAGE_LIMIT = 10000; // characters, as the server checks
let highlightTimer = null;

const live = new Live({
  socket, job, me, role: me.role, session: state.live, snapshotSeconds: state.snapshot_seconds, iceServers: state.ice_servers,
});

// ---------------------------------------------------------------- timeline

const scroller = $("timeline-scroll");
const timeline = new Timeline({
  list: $("timeline"), me, job,
  onReply: state.can_post ? startReply : null,
  onEdit: state.can_post ? startEdit : null,
  onDelete: state.can_post ? deleteMessage : null,
});
let dividerShown = false;

function nearBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

function scrollToBottom() {
  scroller.scrollTop = scroller.scrollHeight;
  $("new-below").hidden = true;
}

// Phone tabs (the chat panel may be hidden while events arrive): back on the chat, a reader who was
// at the bottom is at the bottom again, and one who had scrolled up finds their place.
const chatPlace = { atBottom: true, top: 0 };
scroller.addEventListener("scroll", () => {
  if (!scroller.clientHeight) return; // hidden: display none resets the offsets
  chatPlace.atBottom = nearBottom();
  chatPlace.top = scroller.scrollTop;
});
// Content that grows after it was drawn (an image loading, a long message, an edit) keeps a reader
// who was at the bottom at the bottom; one who had scrolled up stays where they were.
new ResizeObserver(() => {
  if (scroller.clientHeight && chatPlace.atBottom && !nearBottom()) scrollToBottom();
}).observe($("timeline"));
const layout = new RoomLayout({
  tablist: $("room-tabs"), grid: $("room-grid"),
  onShown: (panel) => {
    if (panel !== "panel-chat" || !scroller.clientHeight) return;
    if (chatPlace.atBottom) scrollToBottom(); else scroller.scrollTop = chatPlace.top;
  },
});

function onEvents(events) {
  const stick = (scroller.clientHeight ? nearBottom() : chatPlace.atBottom) || events.some((e) => e.actor?.id === me.id);
  if (!dividerShown) {
    const firstUnread = events.find((e) => e.seq > myRead && e.actor?.id !== me.id);
    if (firstUnread && myRead > 0) {
      const before = events.slice(0, events.indexOf(firstUnread));
      timeline.append(before);
      $("timeline").append(el("li", { class: "unread-divider", id: "unread-divider" }, el("span", { text: "New since your last visit" })));
      events = events.slice(events.indexOf(firstUnread));
    }
    dividerShown = true;
  }
  timeline.append(events);
  for (const event of events) applyToPage(event);
  for (const node of $("timeline").querySelectorAll(":scope > .pending")) $("timeline").append(node); // unsent stay last
  if (stick) scrollToBottom(); else $("new-below").hidden = false;
  $("empty-room").hidden = timeline.lastSeq > 0 || $("timeline").children.length > 0;
  renderSeenBy();
  scheduleRead();
}

// What an event changes outside the timeline (header, sidebar).
function applyToPage(event) {
  const d = event.data || {};
  if (event.type === "message.posted" && typists.has(d.message.author.id)) {
    clearTimeout(typists.get(d.message.author.id).timer); // they sent what they were typing
    typists.delete(d.message.author.id);
    renderTyping();
  }
  if (event.type === "message.posted" && d.message.client_ref) {
    document.querySelector(`.pending[data-client-ref="${CSS.escape(d.message.client_ref)}"]`)?.remove();
    if (pending.delete(d.message.client_ref)) drafts.saveUnsent(pending);
  }
  if (event.type === "progress.posted") {
    state.progress.percent = d.progress.percent;
    state.progress.last_update_at = d.progress.created_at;
    if (state.progress.update_every_hours) {
      state.progress.next_update_due = new Date(Date.parse(d.progress.created_at) + state.progress.update_every_hours * 3600000).toISOString();
    }
    renderProgress();
  }
  if (event.seq > state.job.last_seq && MONEY_EVENTS.test(event.type)) refreshPanel();
  if (event.seq > state.job.last_seq) live.onEvent(event);
  if (event.type === "member.joined") members.set(d.user.id, { ...d.user, role: d.role });
  if (event.type === "member.removed") {
    members.delete(d.user.id);
    if (d.user.id === me.id) showStatus("error", { message: "You were removed from this job." });
  }
  if (event.type === "agreement.accepted" && event.seq > state.job.last_seq) markAccepted(event);
  if (event.type === "member.admitted" && event.seq > state.job.last_seq) markAdmitted(event);
  if ((event.type === "agreement.in_force" || event.type === "agreement.proposed") && event.seq > state.job.last_seq) {
    $("terms-changed").hidden = false; // only news that arrived after this page was drawn
  }
}

// The agreement card lists who has and has not accepted (drawn by the server); an acceptance that
// arrives later ticks that person off. A client who accepted the terms in force is now a full client.
function markAccepted(event) {
  const d = event.data;
  const who = event.actor?.id;
  const item = document.querySelector(`.consent[data-version="${d.version}"] li[data-user="${who}"]`);
  if (item) {
    item.className = "accepted";
    item.firstElementChild?.replaceChildren("✓");
    item.querySelector(".consent-state")?.replaceChildren("accepted just now");
  }
  if (d.became_client && members.has(who)) members.set(who, { ...members.get(who), role: "client" });
  if (d.became_client && who === me.id) $("terms-changed").hidden = false; // reload to post, approve and pay
}

// A client's admission of someone joining: once it makes them a client they leave the waiting list;
// the admitting client's own button goes (the others still see whose admission is missing).
function markAdmitted(event) {
  const d = event.data;
  const item = document.querySelector(`.consent li[data-user="${d.user.id}"]`);
  if (d.became_client) {
    item?.remove();
    if (members.has(d.user.id)) members.set(d.user.id, { ...members.get(d.user.id), role: "client" });
    if (d.user.id === me.id) $("terms-changed").hidden = false; // reload to post, approve and pay
  } else if (event.actor?.id === me.id) {
    item?.querySelector("form")?.remove();
  }
}

// What this person needs to do now, redrawn with the job (below); its buttons lead into the room.
const cta = new CallToAction({ root: $("next-steps"), me, agreementUrl: $("next-steps").dataset.agreementUrl });

// Milestones, balances, payments and reviews: drawn from the job, redrawn when money events arrive.
const panel = new MoneyPanel({
  milestonesRoot: $("milestones-panel"), balanceRoot: $("balance-panel"), reviewRoot: $("review-panel"), me, job,
  alsoRedrawn: [$("next-steps")],
  onRender: (fresh) => {
    const badge = document.querySelector(".job-head .badge");
    badge.textContent = { draft: "Draft", active: "Active", completed: "Completed" }[fresh.status] || fresh.status;
    badge.className = `badge badge-${fresh.status}`;
    cta.render(fresh);
    live.offerMilestones(fresh.milestones);
    if (state.job.status !== fresh.status) { state.job.status = fresh.status; renderProgress(); }
  },
});
panel.render(state.full_job);
let refreshTimer = null;

// A call to action's button: show the panel (a tab on a phone), open the step, bring it into view.
cta.go = (target) => {
  layout.show(target.panel);
  const node = target.milestone ? panel.openStep(target.milestone, target.step)
    : target.payment ? document.querySelector(`.payment[data-payment-id="${target.payment}"]`)
      : document.querySelector(target.target);
  if (!node) return;
  node.scrollIntoView({ block: "start" });
  node.querySelector(".ms-form:not(:empty)")?.scrollIntoView({ block: "nearest" }); // the opened step, whole
  node.classList.remove("cta-target");
  void node.offsetWidth; // restart the highlight
  node.classList.add("cta-target");
  const first = node.querySelector(".ms-form input, .ms-form textarea, .ms-form button, .actions .button.primary, input, textarea, select");
  first?.focus({ preventScroll: true });
};
function refreshPanel() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => panel.refresh(), 150);
}

const log = new RoomLog({ socket, job, after: initialAfter, onEvents, onStatus: (status, error) => {
  showStatus(status, error);
  if (status === "live") live.joined();
  if (status === "live" && target && !targetShown) targetShown = reveal(target);
} });

// ---------------------------------------------------------------- opening at one event

// Scroll to the event `seq` (or the first shown one after it) and highlight it briefly; false if not loaded.
function reveal(seq) {
  const node = document.getElementById(`event-${seq}`)
    || [...$("timeline").querySelectorAll("li[data-seq]")].find((n) => Number(n.dataset.seq) >= seq);
  if (!node || (timeline.firstSeq ?? Infinity) > seq) return false;
  layout.show("panel-chat"); // a phone on another tab
  scroller.scrollTop += node.getBoundingClientRect().top - scroller.getBoundingClientRect().top - scroller.clientHeight / 3;
  node.scrollIntoView({ block: "nearest" });
  document.querySelector(".event-target")?.classList.remove("event-target");
  node.classList.add("event-target");
  clearTimeout(highlightTimer);
  highlightTimer = setTimeout(() => node.classList.remove("event-target"), 4000);
  $("new-below").hidden = nearBottom();
  return true;
}
window.addEventListener("hashchange", () => {
  const match = /^#event-(\d+)$/.exec(location.hash);
  if (match && !reveal(Number(match[1]))) location.replace(`${location.pathname}?event=${match[1]}#event-${match[1]}`);
});
log.start();

// Older history, paged by seq, when scrolling to the top.
let loadingOlder = false;
async function loadOlder() {
  const before = timeline.firstSeq ?? initialAfter + 1;
  if (loadingOlder || before <= 1) return;
  loadingOlder = true;
  $("load-older").textContent = "Loading…";
  const page = await api("GET", `/api/v1/jobs/${job}/events?before=${before}&limit=50`);
  loadingOlder = false;
  $("load-older").textContent = "Load earlier";
  if (!page.ok) return;
  const height = scroller.scrollHeight;
  timeline.prepend(page.events);
  scroller.scrollTop += scroller.scrollHeight - height;
  $("load-older").hidden = !page.more;
}
$("load-older").hidden = initialAfter === 0;
$("load-older").addEventListener("click", loadOlder);
new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting) && !$("load-older").hidden) loadOlder();
}, { root: scroller }).observe($("load-older"));
$("new-below").addEventListener("click", scrollToBottom);
scroller.addEventListener("scroll", () => { if (nearBottom()) $("new-below").hidden = true; });

// ---------------------------------------------------------------- "since you were away"

function renderAway(away) {
  if (!away) return;
  const parts = [];
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (away.messages) parts.push(plural(away.messages, "message"));
  if (away.progress) parts.push(plural(away.progress, "progress update"));
  if (away.sessions) parts.push(`${plural(away.sessions, "live session")} (${duration(away.session_seconds * 1000)})`);
  if (away.payments) parts.push(plural(away.payments, "payment update"));
  for (const m of away.in_review) {
    const left = m.review_due_at ? Date.parse(m.review_due_at) - Date.now() : null;
    parts.push(`“${m.title}” in review${left > 0 ? `, auto-approval in ${duration(left)}` : ""}`);
  }
  if (!parts.length) parts.push(plural(away.events, "update"));
  const box = $("away");
  box.replaceChildren(el("strong", { text: "Since you were away: " }), parts.join(" · "), " ",
    el("button", { class: "link", type: "button", text: "Show", onclick: () => $("unread-divider")?.scrollIntoView({ block: "start" }) }), " ",
    el("button", { class: "link", type: "button", text: "Dismiss", onclick: () => { box.hidden = true; } }));
  box.hidden = false;
}
renderAway(state.away);

// ---------------------------------------------------------------- connection status

// A tab whose login ended says so (login-watch.js), with a link back to this room after logging in.
const login = new LoginWatch({ socket, me, onChange: (change, detail) => {
  if (change === "logged_out") showStatus("logged_out");
  else if (change === "other_user") showStatus("error", { message: `${detail.name} is logged in now in this browser. Reload to continue as them; what you wrote here stays saved for ${me.name}.` });
  else if (change === "refused") showStatus("error", detail);
  else if (change === "back") showStatus("reconnecting");
} });
let wasDown = false;
function showStatus(status, error) {
  const box = $("conn-status");
  if (login.loggedOut && ["reconnecting", "syncing"].includes(status)) return; // the reason stays in view
  if (status === "logged_out") {
    wasDown = true;
    const back = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    box.replaceChildren("You were logged out. ", el("a", { href: back, text: "Log in again" }),
      pending.size || $("message-body")?.value ? " — what you wrote here is kept and sent once you are back." : "");
    box.className = "conn-status bad";
    box.hidden = false;
    for (const ref of pending.keys()) pendingState(ref, "Not sent yet: log in again to send it.");
  } else if (status === "reconnecting") {
    wasDown = true;
    box.textContent = "Reconnecting…";
    box.className = "conn-status warn";
    box.hidden = false;
  } else if (status === "syncing") {
    if (wasDown) { box.textContent = "Catching up…"; box.hidden = false; }
  } else if (status === "live") {
    wasDown = false;
    box.hidden = true;
  } else if (status === "error") {
    box.textContent = error?.message || "Something went wrong.";
    box.className = "conn-status bad";
    box.hidden = false;
  }
  document.body.dataset.connection = status;
}

// ---------------------------------------------------------------- read receipts and "seen by"

let readTimer = null;
function scheduleRead() {
  if (readTimer || document.visibilityState !== "visible" || log.lastSeq <= myRead) return;
  readTimer = setTimeout(async () => {
    readTimer = null;
    const seq = log.lastSeq;
    const ack = await socket.timeout(10000).emitWithAck("read", { job, seq }).catch(() => null);
    if (ack?.ok) { myRead = ack.last_read_seq; reads.set(me.id, myRead); renderSeenBy(); }
  }, 700);
}
document.addEventListener("visibilitychange", scheduleRead);
socket.on("read", (r) => {
  if (r.job !== job) return;
  reads.set(r.user.id, Math.max(reads.get(r.user.id) || 0, r.seq));
  renderSeenBy();
});

function renderSeenBy() {
  const last = timeline.lastMessage();
  const box = $("seen-by");
  if (!last) { box.textContent = ""; return; }
  const others = [...members.values()].filter((m) => m.id !== last.message?.author.id);
  const seen = others.filter((m) => (reads.get(m.id) || 0) >= last.seq);
  box.textContent = !seen.length ? "" : seen.length === others.length && others.length > 1
    ? "Seen by everyone" : `Seen by ${seen.map((m) => (m.id === me.id ? "you" : m.name)).join(", ")}`;
}

// ---------------------------------------------------------------- presence and typing

socket.on("presence", (p) => {
  if (p.job !== job) return;
  const here = $("here");
  here.replaceChildren(...p.watching.map((m) => el("li", { title: `${m.name} (${m.role})` },
    el("span", { class: `avatar role-${m.role}`, "aria-hidden": "true", text: m.name.slice(0, 1).toUpperCase() }),
    el("span", { class: "here-name", text: m.id === me.id ? "You" : m.name }))));
  $("here-count").textContent = String(p.watching.length);
});

socket.on("typing", (t) => {
  if (t.job !== job || t.user.id === me.id) return;
  clearTimeout(typists.get(t.user.id)?.timer);
  typists.set(t.user.id, { name: t.user.name, timer: setTimeout(() => { typists.delete(t.user.id); renderTyping(); }, 5000) });
  renderTyping();
});
function renderTyping() {
  const names = [...typists.values()].map((t) => t.name);
  $("typing").textContent = names.length ? `${names.join(" and ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

// ---------------------------------------------------------------- progress, cadence and deadline

// A completed job reads as completed: 100%, no countdowns, no progress composer.
function renderProgress() {
  const p = state.progress;
  const completed = state.job.status === "completed";
  const percent = completed ? 100 : p.percent;
  $("percent").textContent = `${percent}%`;
  $("progress-bar").replaceChildren(bar(percent));
  $("last-update").textContent = completed ? "The job is complete." : p.last_update_at ? `Last update ${relative(p.last_update_at)}` : "No progress update yet";
  const due = $("next-update");
  $("progress-form")?.toggleAttribute("hidden", completed);
  if (completed) {
    due.textContent = "";
    $("cadence-badge").hidden = true;
    $("deadline").textContent = "Completed";
    $("deadline").className = "";
    return;
  }
  if (p.next_update_due) {
    const left = Date.parse(p.next_update_due) - Date.now();
    due.textContent = left >= 0 ? `Next update due in ${duration(left)}` : `Update overdue by ${duration(left)}`;
    due.className = left >= 0 ? "muted small" : "overdue small";
    $("cadence-badge").hidden = left >= 0;
  } else {
    due.textContent = p.update_every_hours ? "" : "No update cadence agreed yet";
    $("cadence-badge").hidden = true;
  }
  if (state.deadline) {
    const days = Math.ceil((Date.parse(state.deadline + "T23:59:59Z") - Date.now()) / 86400000);
    $("deadline").textContent = days >= 0 ? `Deadline in ${days} day${days === 1 ? "" : "s"}` : `Deadline passed ${-days} day${days === -1 ? "" : "s"} ago`;
    $("deadline").className = days >= 0 ? "" : "overdue";
  }
}
renderProgress();
setInterval(() => { renderProgress(); tickTimes(); }, 30000);

const progressForm = $("progress-form");
if (progressForm) {
  const range = progressForm.querySelector("input[type=range]");
  const number = progressForm.querySelector("input[type=number]");
  range.value = number.value = state.progress.percent;
  range.addEventListener("input", () => { number.value = range.value; });
  number.addEventListener("input", () => { range.value = number.value; });
  progressForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const payload = { job, percent: Number(number.value), note: progressForm.note.value };
    if (progressForm.milestone.value) payload.milestone_id = Number(progressForm.milestone.value);
    const button = progressForm.querySelector("button");
    button.disabled = true;
    const ack = await socket.timeout(15000).emitWithAck("progress", payload).catch(() => ({ ok: false, error: { message: "Not connected; try again." } }));
    button.disabled = false;
    $("progress-error").hidden = ack.ok;
    if (ack.ok) progressForm.note.value = "";
    else $("progress-error").textContent = ack.error.message;
  });
}

// ---------------------------------------------------------------- composer

const composer = $("composer");
let replyTo = null;
let files = []; // {file, id, done, error, node}

function startReply(message) {
  replyTo = message;
  $("reply-banner").hidden = false;
  $("reply-name").textContent = message.author.name;
  $("message-body").focus();
}

function cancelReply() {
  replyTo = null;
  $("reply-banner").hidden = true;
}

function pendingNode(ref) {
  return document.querySelector(`.pending[data-client-ref="${CSS.escape(ref)}"]`);
}

function pendingState(ref, ...parts) {
  pendingNode(ref)?.querySelector(".pending-state")?.replaceChildren(...parts);
}

// A message on its way: shown at the bottom until its event arrives (restored after a reload).
function showPending(ref, payload) {
  const files = payload.attachments?.length || 0;
  $("timeline").append(el("li", { class: "event event-message mine pending", dataset: { clientRef: ref } },
    el("div", { class: "message-head" }, el("strong", { text: "You" }), " ", el("span", { class: "pending-state muted small", text: "Sending…" })),
    el("div", { class: "bubble" }, el("p", { text: payload.body || `${files} file(s)` }))));
}

function discardPending(ref) {
  pending.delete(ref);
  drafts.saveUnsent(pending);
  pendingNode(ref)?.remove();
}

async function sendPending(ref) {
  const payload = pending.get(ref);
  if (!payload) return;
  pendingNode(ref)?.classList.remove("failed");
  if (login.loggedOut) { pendingState(ref, "Not sent yet: log in again to send it."); return; }
  if (!socket.connected) { pendingState(ref, "Waiting for the connection…"); return; } // sent on connect
  pendingState(ref, "Sending…");
  let ack;
  try {
    ack = await socket.timeout(15000).emitWithAck("message", payload);
  } catch {
    pendingState(ref, "Waiting for the connection…");
    return; // re-sent on reconnect; client_ref keeps it from posting twice
  }
  if (ack.ok) {
    log.apply([ack.event]);
    return;
  }
  if (ack.error?.code === "unauthorized") { // the login ended between the connection and this send
    pendingState(ref, "Not sent yet: log in again to send it.");
    login.check();
    return;
  }
  pendingNode(ref)?.classList.add("failed");
  pendingState(ref, ack.error.message, " ",
    el("button", { class: "link", type: "button", text: "Retry", onclick: () => sendPending(ref) }), " ",
    el("button", { class: "link", type: "button", text: "Discard", onclick: () => discardPending(ref) }));
}
socket.on("connect", () => { for (const ref of pending.keys()) sendPending(ref); });
for (const [ref, payload] of pending) showPending(ref, payload); // left unsent by an earlier page

if (composer) {
  const body = $("message-body");
  let lastTyping = 0;
  const fit = () => {
    body.style.height = "auto";
    body.style.height = `${Math.min(body.scrollHeight, 200)}px`;
  };
  body.value = drafts.draft; // typed before a reload or a logout
  if (body.value) fit();
  const limit = new CharLimit({ field: body, counter: $("composer-count"), error: $("composer-error"), limit: MESSAGE_LIMIT });
  body.addEventListener("input", () => {
    drafts.draft = body.value;
    fit();
    if (Date.now() - lastTyping > 2500 && body.value.trim()) {
      lastTyping = Date.now();
      socket.emit("typing", { job });
    }
  });
  body.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); composer.requestSubmit(); }
  });
  $("cancel-reply").addEventListener("click", cancelReply);
  $("file-input").addEventListener("change", (e) => {
    for (const file of e.target.files) addFile(file);
    e.target.value = "";
  });
  composer.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = body.value.trim();
    if (files.some((f) => !f.done && !f.error)) { showComposerError("Wait for the files to finish uploading."); return; }
    const ids = files.filter((f) => f.id).map((f) => f.id);
    if (!text && !ids.length) return;
    if (limit.over) { showComposerError(limit.message()); body.focus(); return; }
    const ref = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    const payload = { job, body: text, client_ref: ref };
    if (replyTo) payload.reply_to = replyTo.id;
    if (ids.length) payload.attachments = ids;
    pending.set(ref, payload);
    drafts.saveUnsent(pending);
    showPending(ref, payload);
    scrollToBottom();
    body.value = "";
    drafts.draft = "";
    limit.render();
    body.style.height = "auto";
    files = [];
    $("pending-files").replaceChildren();
    cancelReply();
    showComposerError("");
    sendPending(ref);
  });
}

function showComposerError(message) {
  $("composer-error").textContent = message;
  $("composer-error").hidden = !message;
}

async function addFile(file) {
  const entry = { file, id: null, done: false, error: null };
  const progress = el("progress", { max: "1", value: "0" });
  entry.node = el("li", {}, el("span", { text: file.name }), " ", progress,
    el("button", { class: "link", type: "button", text: "Remove", onclick: () => { files = files.filter((f) => f !== entry); entry.node.remove(); } }));
  files.push(entry);
  $("pending-files").append(entry.node);
  const result = await upload(`/api/v1/jobs/${job}/attachments`, file, (fraction) => { progress.value = fraction; });
  if (result.ok) {
    entry.id = result.attachment.id;
    entry.done = true;
    progress.replaceWith(el("span", { class: "muted small", text: "ready" }));
  } else {
    entry.error = result.error.message;
    progress.replaceWith(el("span", { class: "field-error", text: result.error.message }));
  }
}

// ---------------------------------------------------------------- edit and delete

function startEdit(message) {
  const node = document.querySelector(`[data-message-id="${message.id}"] .bubble`);
  if (!node) return;
  const area = el("textarea", { class: "edit-area", rows: "3" });
  area.value = message.body;
  const error = el("p", { class: "field-error", hidden: true });
  const save = el("button", { class: "button small primary", type: "button", text: "Save" });
  const cancel = el("button", { class: "button small", type: "button", text: "Cancel", onclick: () => timeline.update(timeline.messages.get(message.id)) });
  save.addEventListener("click", async () => {
    save.disabled = true;
    const ack = await socket.timeout(15000).emitWithAck("edit_message", { job, id: message.id, body: area.value })
      .catch(() => ({ ok: false, error: { message: "Not connected; try again." } }));
    save.disabled = false;
    if (ack.ok) log.apply([ack.event]);
    else { error.textContent = ack.error.message; error.hidden = false; }
  });
  node.replaceChildren(area, error, el("div", { class: "actions" }, save, cancel));
  area.focus();
}

async function deleteMessage(message) {
  if (!confirm("Delete this message? The text and files are erased for everyone. What remains: that a message existed, who posted it and when.")) return;
  const ack = await socket.timeout(15000).emitWithAck("delete_message", { job, id: message.id })
    .catch(() => ({ ok: false, error: { message: "Not connected; try again." } }));
  if (ack.ok) log.apply([ack.event]);
  else showStatus("error", ack.error);
}
