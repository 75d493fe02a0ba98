// Progress, cadence and deadline at the top of the room, and the freelancer's progress form. A
// completed job reads as completed: 100%, no countdowns, no progress composer.
import { duration } from "./dom.js";
import { dayEnd, formatTime } from "./time.js";
import { bar } from "./timeline.js";

export class Progress {
  constructor({ socket, job, state, $ }) {
    this.socket = socket;
    this.job = job;
    this.state = state; // state.progress and state.job.status, kept current by the room
    this.$ = $;
    this.deadlineAt = $("deadline").dataset.at || null; // the end of the agreed day (the server's moment)
    this.bindForm($("progress-form"));
    this.render();
  }

  // progress.posted: the new percent, and the cadence counts from it.
  posted(progress) {
    const p = this.state.progress;
    p.percent = progress.percent;
    p.last_update_at = progress.created_at;
    if (p.update_every_hours) {
      p.next_update_due = new Date(Date.parse(progress.created_at) + p.update_every_hours * 3600000).toISOString();
    }
    this.render();
  }

  // The job as the server sees it now (any room event that redraws the job): its status, the
  // deadline and cadence of the terms in force (new terms come into force while the page is open).
  jobChanged(fresh) {
    const deadline = fresh.agreement?.terms?.deadline;
    this.deadlineAt = deadline ? dayEnd(deadline) : null;
    this.state.job.status = fresh.status;
    if (fresh.progress) this.state.progress = { ...this.state.progress, ...fresh.progress };
    this.render();
  }

  render() {
    const { $ } = this;
    const p = this.state.progress;
    const completed = this.state.job.status === "completed";
    const percent = completed ? 100 : p.percent;
    $("percent").textContent = `${percent}%`;
    $("progress-bar").replaceChildren(bar(percent));
    $("last-update").textContent = completed ? "The job is complete." : p.last_update_at ? `Last update ${formatTime(p.last_update_at, "ago")}` : "No progress update yet";
    const due = $("next-update");
    $("progress-form")?.toggleAttribute("hidden", completed);
    if (completed) {
      due.textContent = "";
      $("cadence-badge").hidden = true;
      $("deadline").textContent = "Every milestone paid"; // the badge beside the title says "Completed"
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
    if (this.deadlineAt) {
      const days = Math.ceil((Date.parse(this.deadlineAt) - Date.now()) / 86400000);
      $("deadline").textContent = days >= 0 ? `Deadline in ${days} day${days === 1 ? "" : "s"}` : `Deadline passed ${-days} day${days === -1 ? "" : "s"} ago`;
      $("deadline").title = `Due ${formatTime(this.deadlineAt, "deadline")}`;
      $("deadline").className = days >= 0 ? "" : "overdue";
    } else {
      $("deadline").textContent = "No deadline agreed yet";
      $("deadline").removeAttribute("title");
      $("deadline").className = "";
    }
  }

  bindForm(form) {
    if (!form) return;
    const range = form.querySelector("input[type=range]");
    const number = form.querySelector("input[type=number]");
    range.value = number.value = this.state.progress.percent;
    range.addEventListener("input", () => { number.value = range.value; });
    number.addEventListener("input", () => { range.value = number.value; });
    form.noValidate = true; // the message below says what is wrong, in the page (not a browser tooltip)
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const error = this.$("progress-error");
      const typed = number.value.trim();
      const percent = Number(typed);
      const valid = typed !== "" && Number.isInteger(percent) && percent >= 0 && percent <= 100;
      number.setAttribute("aria-invalid", String(!valid));
      if (!valid) { // an emptied box is not 0 %: nothing is posted
        error.textContent = "Give a whole percent from 0 to 100.";
        error.hidden = false;
        number.focus();
        return;
      }
      const payload = { job: this.job, percent, note: form.note.value };
      if (form.milestone.value) payload.milestone_id = Number(form.milestone.value);
      const button = form.querySelector("button");
      button.disabled = true;
      const ack = await this.socket.timeout(15000).emitWithAck("progress", payload).catch(() => ({ ok: false, error: { message: "Not connected; try again." } }));
      button.disabled = false;
      this.$("progress-error").hidden = ack.ok;
      if (ack.ok) form.note.value = "";
      else this.$("progress-error").textContent = ack.error.message;
    });
  }
}
