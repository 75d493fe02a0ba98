// Overdue milestones: the rule is the server's (services/views.py overdue_view). Each milestone comes
// with `overdue` (now, as the server saw it) and `overdue_at` (the moment an open milestone becomes
// overdue: the end of its due day; null once delivered). The page only compares that moment with the
// clock, so the flag turns on while the page is open, without a rule of its own.

export function isOverdue(milestone, now = Date.now()) {
  if (!milestone) return false;
  if (milestone.overdue) return true;
  return Boolean(milestone.overdue_at) && now > Date.parse(milestone.overdue_at);
}

// Whole days since the due day ended, the day it became overdue counting as 1.
export function daysOverdue(milestone, now = Date.now()) {
  const since = Date.parse(milestone.due_at || milestone.overdue_at);
  return Math.max(1, Math.ceil((now - since) / 86400000));
}

// The next moment one of `milestones` becomes overdue (ms from now), or null: when to draw them again.
export function nextTurn(milestones, now = Date.now()) {
  const waits = milestones.filter((m) => !m.overdue && m.overdue_at)
    .map((m) => Date.parse(m.overdue_at) - now).filter((ms) => ms >= 0);
  return waits.length ? Math.min(...waits) : null;
}

// Call `redraw` when the next milestone turns overdue (timers past ~24 days are not kept by browsers).
export function redrawWhenDue(milestones, redraw, state = {}) {
  clearTimeout(state.timer);
  const wait = nextTurn(milestones);
  if (wait !== null && wait < 2 ** 31 - 1) state.timer = setTimeout(redraw, wait + 1000);
  return state;
}
