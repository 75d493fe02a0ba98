// Work diary: click a snapshot to see it large.
const box = document.getElementById("lightbox");
for (const link of document.querySelectorAll("a.enlarge")) {
  link.addEventListener("click", (e) => {
    e.preventDefault();
    box.querySelector("img").src = link.dataset.full;
    box.showModal();
  });
}
box?.addEventListener("click", (e) => { if (e.target === box) box.close(); });
