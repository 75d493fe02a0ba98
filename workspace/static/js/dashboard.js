// Dashboard: LIVE badges with elapsed time, refreshed every 20 s (someone may go live meanwhile).
import { api } from "./http.js";
import { elapsed } from "./live.js";

const badges = new Map([...document.querySelectorAll(".live-badge[data-job]")].map((b) => [b.dataset.job, b]));

function draw() {
  for (const badge of badges.values()) {
    badge.hidden = !badge.dataset.since;
    if (badge.dataset.since) badge.querySelector(".live-elapsed").textContent = elapsed(badge.dataset.since);
  }
}

async function poll() {
  const result = await api("GET", "/api/v1/jobs");
  if (!result.ok) return;
  for (const job of result.jobs) {
    const badge = badges.get(job.id);
    if (badge) badge.dataset.since = job.live_since || "";
  }
  draw();
}

draw();
setInterval(draw, 1000);
setInterval(poll, 20000);
