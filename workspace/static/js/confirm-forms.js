// A form with `data-confirm` asks before it is sent (removing a member: no undo), in the page's own
// words; the server still decides. (The pages' Content-Security-Policy allows no inline handlers.)
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
