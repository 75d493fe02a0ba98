// What each room event changes on the page: the one table (event type -> effects). The timeline,
// the money panel, the live card and the room's other parts do not decide which events concern them;
// they register a handler for an effect, and `EventEffects.apply` calls the handlers each event names.
//
// Effects:
//   timeline  how it shows in the timeline: "entry" (a line of its own), "message" (a message),
//             "in-place" (changes a message already shown), or absent (not shown: snapshots go to the diary)
//   job       the job is fetched again and redrawn: milestones, balances, payments, reviews, the status
//             badge, the call to action and the go-live list (one render path, from the server's view)
//   live      the live card follows the session (live.js)
//   progress  the progress bar, the last update and the cadence
//   typing    the author's typing indicator clears (they sent what they typed)
//   pending   the author's unsent copy of it is replaced by the real one
//   members   who is in the room (names for "seen by")
//   consent   the agreement card's lists of who accepted or was admitted (and who became a client)
//   terms     "The terms changed" notice (what the page drew from the old terms: the Info tab's summary)
// Effects marked NEWS below only follow events that happened after the page was drawn (the page's own
// state already includes older ones); the others follow every event, history included.

const NEWS = new Set(["job", "live", "consent", "terms"]);

const MONEY = ["job"];
export const EFFECTS = {
  "message.posted": { timeline: "message", also: ["typing", "pending"] },
  "message.edited": { timeline: "in-place" },
  "message.deleted": { timeline: "in-place" },
  "progress.posted": { timeline: "entry", also: ["progress"] },
  "job.created": { timeline: "entry" },
  "job.completed": { timeline: "entry", also: MONEY },
  "member.joined": { timeline: "entry", also: ["members", "job"] }, // the people, the call to action ("Invite your client")
  "member.removed": { timeline: "entry", also: ["members", "job"] },
  "member.admitted": { timeline: "entry", also: ["consent", "job"] },
  "agreement.proposed": { timeline: "entry", also: ["job"] }, // the terms card and the call to action say it
  "agreement.accepted": { timeline: "entry", also: ["consent", "job"] },
  "agreement.in_force": { timeline: "entry", also: ["job", "terms"] },
  "upfront.requested": { timeline: "entry", also: MONEY },
  "milestone.submitted": { timeline: "entry", also: MONEY },
  "milestone.approved": { timeline: "entry", also: MONEY },
  "milestone.changes_requested": { timeline: "entry", also: MONEY },
  "milestone.cancel_requested": { timeline: "entry", also: MONEY },
  "milestone.cancelled": { timeline: "entry", also: MONEY },
  "milestone.review_extended": { timeline: "entry", also: MONEY },
  "milestone.paid": { timeline: "entry", also: MONEY },
  "payment.sent": { timeline: "entry", also: MONEY },
  "payment.confirmed": { timeline: "entry", also: MONEY },
  "payment.disputed": { timeline: "entry", also: MONEY },
  "review.posted": { timeline: "entry", also: MONEY },
  "session.started": { timeline: "entry", also: ["live"] },
  "session.paused": { timeline: "entry", also: ["live"] },
  "session.resumed": { timeline: "entry", also: ["live"] },
  "session.ended": { timeline: "entry", also: ["live"] },
  "snapshot.taken": {},
  "snapshot.deleted": { timeline: "entry" },
  "diary.settings_changed": { timeline: "entry", also: ["live"] },
  "dispute.opened": { timeline: "entry", also: MONEY },
  "dispute.proposed": { timeline: "entry", also: MONEY },
  "dispute.accepted": { timeline: "entry", also: MONEY },
  "dispute.resolved": { timeline: "entry", also: MONEY },
  "dispute.withdrawn": { timeline: "entry", also: MONEY },
};
const UNKNOWN = { timeline: "entry" }; // a type this page does not know yet still shows as a line

// How `type` shows in the timeline ("entry", "message", "in-place" or null).
export function timelineOf(type) {
  return (EFFECTS[type] || UNKNOWN).timeline || null;
}

// The effects of one event: for news (seq after what the page was drawn with) all of them, else
// only those that history also drives.
export function effectsOf(event, drawnAt = 0) {
  const also = (EFFECTS[event.type] || UNKNOWN).also || [];
  return event.seq > drawnAt ? also : also.filter((effect) => !NEWS.has(effect));
}

export class EventEffects {
  constructor({ drawnAt = 0 } = {}) {
    this.drawnAt = drawnAt; // the job's last seq when the page was drawn
    this.handlers = new Map(); // effect -> [handler(event)]
    this.batch = []; // handler(events) after each batch (read receipts)
  }

  afterEach(handler) {
    this.batch.push(handler);
    return this;
  }

  on(effect, handler) {
    if (!this.handlers.has(effect)) this.handlers.set(effect, []);
    this.handlers.get(effect).push(handler);
    return this;
  }

  // Each event's effects, in order; every effect's handlers once per event.
  apply(events) {
    for (const event of events) {
      for (const effect of effectsOf(event, this.drawnAt)) {
        for (const handler of this.handlers.get(effect) || []) handler(event);
      }
    }
    for (const handler of this.batch) handler(events);
  }
}
