// A text field with a limit says how long its text is once it nears the limit, and plainly when it
// is over (nothing is cut off: a pasted text stays whole, to be shortened or split by its writer).
export class CharLimit {
  constructor({ field, counter, error, limit, noun = "Messages" }) {
    this.field = field;
    this.counter = counter;
    this.error = error;
    this.limit = limit;
    this.noun = noun;
    field.addEventListener("input", () => this.render());
    this.render();
  }

  get length() { return this.field.value.trim().length; }

  get over() { return this.length > this.limit; }

  message() {
    return `${this.noun} are limited to ${this.limit.toLocaleString("en")} characters; this one has ${this.length.toLocaleString("en")}. Shorten it or send it in parts.`;
  }

  render() {
    const n = this.length;
    this.counter.hidden = n < this.limit * 0.9;
    this.counter.textContent = `${n.toLocaleString("en")} / ${this.limit.toLocaleString("en")}`;
    this.counter.classList.toggle("over", this.over);
    if (this.over) this.field.setAttribute("aria-invalid", "true");
    else this.field.removeAttribute("aria-invalid");
    if (this.over) { this.error.textContent = this.message(); this.error.hidden = false; }
    else if (this.error.dataset.limit === "shown") this.error.hidden = true;
    this.error.dataset.limit = this.over ? "shown" : "";
  }
}
