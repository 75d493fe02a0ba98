// A page's form is sent once. A second click (or Enter) while the first request is on its way would
// post it again: terms proposed twice answer "the same as version 1", a sign-up twice "address taken".
// Forms that send themselves by script (they prevent the default) are left to their own code. The
// submit buttons are disabled once sent (after the browser has read the clicked one's name and value),
// and enabled again when the page comes back from the back/forward cache, or after a while when the
// answer was a download and the page stayed.
const AGAIN_AFTER_MS = 10000;

function release(form) {
  delete form.dataset.sending;
  for (const button of form.querySelectorAll("[data-sending-button]")) {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    delete button.dataset.sendingButton;
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method !== "post" || event.defaultPrevented) return;
  if (form.dataset.sending === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "yes";
  const buttons = form.querySelectorAll("button:not([type=button]):not([type=reset]), input[type=submit]");
  setTimeout(() => {
    for (const button of buttons) {
      if (button.disabled) continue;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.dataset.sendingButton = "yes";
    }
  }, 0);
  setTimeout(() => release(form), AGAIN_AFTER_MS);
});

window.addEventListener("pageshow", () => document.querySelectorAll("form[data-sending]").forEach(release));
