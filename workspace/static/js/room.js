// The room page, put together: each part is a module of its own (state, chat, composer, presence,
// progress, connection status, layout, call to action, dispute banner, money panel, live card), made here in an
// order where each only uses what was made before it; what an event changes is event-effects.js's
// table, whose effects are bound to the parts below. Nothing here runs before the log starts (last).
import { io } from "../vendor/socket.io.esm.min.js";
import { $, initialAfter, job, me, messageLimit, state, target } from "./room-state.js";
import { EventEffects } from "./event-effects.js";
import { RoomLog } from "./room-log.js";
import { ChainCheck } from "./chain-verify.js";
import { Chat } from "./room-chat.js";
import { ConnectionStatus } from "./room-status.js";
import { LoginWatch } from "./login-watch.js";
import { Composer } from "./room-composer.js";
import { Presence } from "./room-presence.js";
import { Progress } from "./room-progress.js";
import { RoomLayout } from "./room-layout.js";
import { CallToAction } from "./call-to-action.js";
import { MoneyPanel } from "./money-panel.js";
import { Disputes } from "./disputes.js";
import { BillingForm } from "./billing-form.js";
import { inviteForm } from "./invite-form.js";
import { Live } from "./live.js";
import { markAccepted, markAdmitted } from "./room-consent.js";
import { renderTermsCards } from "./room-terms.js";
import { tickTimes } from "./time.js";

const socket = io({ transports: ["websocket"], reconnectionDelayMax: 4000 });
const effects = new EventEffects({ drawnAt: state.job.last_seq });
const live = new Live({
  socket, job, me, role: me.role, session: state.live, snapshotSeconds: state.snapshot_seconds, iceServers: state.ice_servers,
});
const chat = new Chat({ $, state, me, job, initialAfter });
const status = new ConnectionStatus({ box: $("conn-status") });
// A tab whose login ended says so (login-watch.js), with a link back to this room after logging in.
const login = new LoginWatch({ socket, me, onChange: (change, detail) => {
  if (change === "logged_out") status.show("logged_out");
  else if (change === "other_user") status.show("error", { message: `${detail.name} is logged in now in this browser. Reload to continue as them; what you wrote here stays saved for ${me.name}.` });
  else if (change === "refused") status.show("error", detail);
  else if (change === "back") status.show("reconnecting");
} });
status.loggedOut = () => login.loggedOut;

let targetShown = false; // a notification's event (?event=) was revealed
const log = new RoomLog({
  socket, job, after: initialAfter, chain: new ChainCheck({ job, banner: $("chain-banner") }), // chain-verify.js
  onEvents: (events) => chat.receive(events, (batch) => effects.apply(batch)),
  onStatus: (now, error) => {
    status.show(now, error);
    if (now === "live") live.joined();
    if (now === "live" && target && !targetShown) targetShown = chat.reveal(target);
  },
});

const composer = new Composer({ socket, job, me, $, limit: messageLimit, log, login, status, chat });
status.keeping = () => composer.keeping;
status.onLoggedOut = () => composer.markLoggedOut();
if (state.can_post) {
  chat.timeline.onReply = (message) => composer.startReply(message);
  chat.timeline.onEdit = (message) => composer.startEdit(message);
  chat.timeline.onDelete = (message) => composer.remove(message);
}

const presence = new Presence({ socket, job, me, chat, $ });
presence.lastSeq = () => log.lastSeq;
const progress = new Progress({ socket, job, state, $ });
setInterval(() => { progress.render(); tickTimes(); }, 30000);

const layout = new RoomLayout({ tablist: $("room-tabs"), grid: $("room-grid"), onShown: (shown) => { if (shown === "panel-chat") chat.shown(); } });
chat.layout = layout;
chat.onOlder = (events) => log.chain.older(events); // older history is checked too (chain-verify.js)

// What this person needs to do now, redrawn with the job (below); its buttons lead into the room.
const cta = new CallToAction({ root: $("next-steps"), me });
// An open dispute's banner at the top (disputes.js): redrawn with the job, so the other side's is live.
const disputes = new Disputes({ root: $("dispute-banner"), me, job });
// Milestones, balances, payments and reviews: drawn from the job, redrawn when its events arrive.
const panel = new MoneyPanel({
  milestonesRoot: $("milestones-panel"), balanceRoot: $("balance-panel"), reviewRoot: $("review-panel"), me, job,
  alsoRedrawn: [$("next-steps"), $("dispute-banner")],
  onRender: (fresh) => {
    const badge = document.querySelector(".job-head .badge");
    badge.textContent = { draft: "Draft", active: "Active", completed: "Completed" }[fresh.status] || fresh.status;
    badge.className = `badge badge-${fresh.status}`;
    disputes.render(fresh);
    cta.render(fresh);
    live.jobChanged(fresh);
    progress.jobChanged(fresh);
    renderTermsCards(fresh, $("panel-work"));
  },
});
panel.render(state.full_job);
disputes.onChanged = () => panel.refresh(); // after an action of this person's (the events redraw everyone else)
// A call to action's button: show the panel (a tab on a phone), open the step, bring it into view.
cta.go = (where) => {
  layout.show(where.panel);
  const node = where.milestone ? panel.openStep(where.milestone, where.step)
    : where.payment ? document.querySelector(`.payment[data-payment-id="${where.payment}"]`)
      : document.querySelector(where.target);
  if (!node) return;
  node.scrollIntoView({ block: "start" });
  node.querySelector(".ms-form:not(:empty)")?.scrollIntoView({ block: "nearest" }); // the opened step, whole
  node.classList.remove("cta-target");
  void node.offsetWidth; // restart the highlight
  node.classList.add("cta-target");
  const first = node.querySelector(".ms-form input, .ms-form textarea, .ms-form button, .actions .button.primary, input, textarea, select");
  first?.focus({ preventScroll: true });
};
// This person's billing details for this job (the Info tab), if they are the freelancer or a client.
if ($("job-billing")) {
  const box = $("job-billing");
  new BillingForm({ root: box, url: box.dataset.url, pick: (answer) => answer.mine, freelancerSide: box.dataset.role === "freelancer",
    note: "Only for this job's invoices; your account's details apply otherwise.", onSaved: () => panel.refresh() }).load();
}
inviteForm($("invite-form")); // a client invites a mediator or a colleague (the Info tab)
let refreshTimer = null; // several events in a row fetch the job once

// ---------------------------------------------------------------- what events change (event-effects.js)

effects
  .on("typing", (event) => presence.stopped(event.data.message.author.id))
  .on("pending", (event) => composer.arrived(event.data.message))
  .on("progress", (event) => progress.posted(event.data.progress))
  .on("members", (event) => {
    const d = event.data;
    if (event.type === "member.joined") chat.setMember(d.user, { ...d.user, role: d.role });
    if (event.type === "member.removed") {
      chat.setMember(d.user, null);
      if (d.user.id === me.id) status.show("error", { message: "You were removed from this job.", back: true });
    }
  })
  .on("consent", (event) => {
    const became = event.type === "agreement.accepted" ? markAccepted(event, me, $) : markAdmitted(event, me, $);
    if (became) chat.setMember({ id: became }, { role: "client" });
  })
  .on("terms", () => { $("terms-changed").hidden = false; }) // only news that arrived after this page was drawn
  .on("job", () => { clearTimeout(refreshTimer); refreshTimer = setTimeout(() => panel.refresh(), 150); })
  .on("live", (event) => live.onEvent(event))
  .afterEach(() => presence.scheduleRead());

// notifications.js reuses this socket (and `reveal` for links to this room); tests use it too.
window.__room = { socket, reveal: (seq) => chat.reveal(seq), effects };
window.addEventListener("hashchange", () => {
  const match = /^#event-(\d+)$/.exec(location.hash);
  if (match && !chat.reveal(Number(match[1]))) location.replace(`${location.pathname}?event=${match[1]}#event-${match[1]}`);
});
chat.renderAway(state.away);
log.start();
