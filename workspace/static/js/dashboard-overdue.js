// Dashboard: the server flags a job whose next milestone is overdue (and says when an open one becomes
// overdue, data-overdue-at); a card turns overdue here when that moment passes while the page is open.
import { isOverdue } from "./overdue.js";

function show() {
  for (const pill of document.querySelectorAll(".overdue-pill[data-overdue-at]")) {
    const late = pill.dataset.overdue === "true" || isOverdue({ overdue_at: pill.dataset.overdueAt });
    pill.hidden = !late;
    pill.closest(".job-card")?.classList.toggle("job-overdue", late);
  }
}
show();
setInterval(show, 60000);
