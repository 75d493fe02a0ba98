// The room page's starting state, as the server drew it (the JSON in #room-state), and where the
// timeline opens. Read once, before anything else; the room's other modules share it.
export const state = JSON.parse(document.getElementById("room-state").textContent);
export const job = state.job.id;
export const me = state.me;
export const $ = (id) => document.getElementById(id);

// The one limit the server enforces on a message (characters), sent with the job view.
export const messageLimit = state.full_job?.limits?.message_chars ?? null;

// Open at the last 50 events, or earlier if that is where the unread ones start (up to 500 back);
// a notification's link (?event=<seq>) opens a few events before that one (up to 1000 back).
const TARGET_REACH = 1000;
export const target = (() => {
  const seq = Number(new URLSearchParams(location.search).get("event"));
  return Number.isInteger(seq) && seq >= 1 ? seq : null;
})();
const defaultAfter = Math.max(0, Math.min(state.job.last_seq - 50, state.job.last_read_seq - 3), state.job.last_seq - 500);
export const initialAfter = target && target <= state.job.last_seq && target > state.job.last_seq - TARGET_REACH
  ? Math.max(0, Math.min(defaultAfter, target - 3)) : defaultAfter;
