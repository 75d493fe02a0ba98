// The dossier download with a progress bar. The zip is built while it is sent, so it has no length:
// the server says about how big it will be (X-Dossier-Estimate) and the page counts what arrived.
// Any link with class "dossier-link" gets this; without fetch streams it stays a plain link.

const MB = 1024 * 1024;

function size(bytes) {
  return bytes >= 1024 * MB ? `${(bytes / 1024 / MB).toFixed(1)} GB` : `${(bytes / MB).toFixed(1)} MB`;
}

function filenameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = header.match(/filename="([^"]+)"/);
  return match ? match[1] : fallback;
}

function statusFor(link) {
  let box = link.parentElement.querySelector(".dossier-progress");
  if (!box) {
    box = document.createElement("span");
    box.className = "dossier-progress";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    link.after(box);
  }
  return box;
}

function show(box, text, received, estimate) {
  box.replaceChildren();
  if (received !== undefined) {
    const bar = document.createElement("progress");
    bar.max = Math.max(estimate || 0, received, 1);
    bar.value = received;
    bar.setAttribute("aria-label", "Dossier download");
    box.append(bar, " ");
  }
  box.append(text);
}

async function download(link) {
  const box = statusFor(link);
  link.setAttribute("aria-disabled", "true");
  show(box, "Preparing the dossier…", 0, 0);
  try {
    const response = await fetch(link.href, { credentials: "same-origin" });
    if (!response.ok) {
      let message = `The dossier could not be made (error ${response.status}).`;
      try { message = (await response.json()).error.message || message; } catch { /* not JSON */ }
      show(box, message);
      return;
    }
    const estimate = Number(response.headers.get("X-Dossier-Estimate")) || 0;
    const reader = response.body.getReader();
    const parts = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      received += value.length;
      show(box, `Downloading the dossier: ${size(received)}${estimate ? ` of about ${size(Math.max(estimate, received))}` : ""}`,
           received, estimate);
    }
    const url = URL.createObjectURL(new Blob(parts, { type: "application/zip" }));
    const save = document.createElement("a");
    save.href = url;
    save.download = filenameOf(response, "dossier.zip");
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    show(box, `Downloaded ${save.download} (${size(received)}). Unzip it and run python3 verify.py inside.`);
  } catch {
    show(box, "The download stopped: you seem to be offline. Try again.");
  } finally {
    link.removeAttribute("aria-disabled");
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a.dossier-link");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  if (!window.ReadableStream || !("body" in Response.prototype)) return;  // a plain download then
  event.preventDefault();
  if (link.getAttribute("aria-disabled") !== "true") download(link);
});
