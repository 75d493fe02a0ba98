// Dashboard: a job card whose next milestone is overdue says so (the rule is overdue.js's).
import { isOverdue } from "./overdue.js";

for (const pill of document.querySelectorAll(".overdue-pill[data-due]")) {
  pill.hidden = !isOverdue({ due: pill.dataset.due, state: pill.dataset.state });
  pill.closest(".job-card")?.classList.toggle("job-overdue", !pill.hidden);
}
