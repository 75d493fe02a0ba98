// Whether a milestone is overdue: its due date (a calendar day, due by the end of it) has passed
// while it is still open (not approved, paid or cancelled). The day is compared in the viewer's time
// zone. (The server could send this as a flag with each milestone; until it does, this is the rule.)
const OPEN = new Set(["planned", "submitted", "changes_requested"]);

export function today(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function isOverdue(milestone, day = today()) {
  return Boolean(milestone?.due) && OPEN.has(milestone.state) && milestone.due < day;
}

// Whole days since the due date (1 the day after it).
export function daysOverdue(milestone, day = today()) {
  return Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${milestone.due}T00:00:00Z`)) / 86400000);
}
