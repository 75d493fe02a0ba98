// The terms form as typed, kept in this browser until it is sent: a reload, a lost connection or a
// click away no longer empties a long scope and its milestones. Restored when the form is opened again
// (with a note and a way to start over); dropped once the form is sent or after a week.
const WEEK = 7 * 86400000;

export class TermsDraft {
  constructor({ form, key, addRow, storage = window.localStorage }) {
    this.form = form;
    this.key = `workspace:terms-draft:${key}`;
    this.addRow = addRow; // (index) -> a new, empty milestone row with that index
    this.storage = storage;
    this.timer = null;
  }

  // Fields by name, as the form would post them (the CSRF token is the page's, not the draft's).
  fields() {
    return [...new FormData(this.form).entries()].filter(([name]) => name !== "csrf_token");
  }

  save() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.write({ at: Date.now(), fields: this.fields() }), 300);
  }

  // Put the saved values back (true when there was a draft to restore).
  restore() {
    const draft = this.read();
    if (!draft) return false;
    const values = new Map(draft.fields);
    const rows = [...new Set(draft.fields.map(([name]) => /^m-(\d+)-/.exec(name)?.[1]).filter(Boolean))].map(Number);
    if (rows.length) {
      for (const row of this.form.querySelectorAll(".milestone-row")) row.remove();
      for (const index of rows) this.addRow(index);
    }
    for (const element of this.form.elements) {
      if (!element.name || element.name === "csrf_token") continue;
      if (element.type === "radio") element.checked = values.get(element.name) === element.value;
      else if (element.type === "checkbox") element.checked = values.has(element.name);
      else if (values.has(element.name)) element.value = values.get(element.name);
    }
    return true;
  }

  read() {
    try {
      const draft = JSON.parse(this.storage.getItem(this.key) || "null");
      if (draft && Array.isArray(draft.fields) && Date.now() - draft.at < WEEK) return draft;
    } catch { /* unreadable: start over */ }
    this.clear();
    return null;
  }

  write(draft) {
    try { this.storage.setItem(this.key, JSON.stringify(draft)); } catch { /* storage full or off */ }
  }

  clear() {
    clearTimeout(this.timer);
    try { this.storage.removeItem(this.key); } catch { /* storage off */ }
  }
}
