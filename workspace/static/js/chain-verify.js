// The room's history, checked in the browser (issue 11, "History anyone can verify"). Each event's
// `hash` is sha256(prev_hash + canonical JSON of {job, seq, type, at, actor_id, data_digest}) — the
// rule of workspace/domain/chain.py — recomputed here with Web Crypto as events arrive; each
// `prev_hash` must be the hash of the event before it when the page has that one; and each event's
// content must hash to its `data_digest` (`factsOf`: what the log stored of what is shown). Per job, the browser
// keeps (localStorage) the last signed head it saw (GET /api/v1/jobs/{job}/checkpoint, its Ed25519
// signature checked with the key of GET /api/v1/keys) and the hashes of the events before it; a later
// history that does not extend that head (an event changed, events gone) shows a red banner saying what
// differs, pointing to the dossier as the proof to keep.
//
// The first half of this module is pure (no DOM, no storage, no network): canonical bytes, an event's
// hash, verifying a run of events, comparing what is served with a kept head, and the banner's words.
// `ChainCheck` below is the room's use of them.
import { api } from "./http.js";
import { formatTime } from "./time.js";

export const GENESIS_HASH = "0".repeat(64);
export const KEPT_WINDOW = 500; // hashes kept per job (16 hex digits each), up to the kept head
const PREFIX = 16;

// ------------------------------------------------------------------------------------------- pure

// Code point order, as Python's sort_keys compares str (not UTF-16 units, as Array#sort does).
function byCodePoint(a, b) {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d) return d;
  }
  return x.length - y.length;
}

// The text of json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for what an
// event's links hold: strings, integers, null, booleans (and objects/arrays of them). JSON.stringify
// escapes a string as Python does with ensure_ascii=False (\" \\ \b \f \n \r \t, other control
// characters as lowercase \u00XX, everything else as itself); a float would differ (1.0 vs 1) and a lone
// surrogate cannot be UTF-8, so both are refused rather than hashed wrongly.
export function canonicalJson(value) {
  if (value === null) return "null";
  if (value === true || value === false) return String(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
    return String(value);
  }
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new TypeError("a lone surrogate cannot be hashed as UTF-8");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort(byCodePoint);
    return `{${keys.map((k) => `${canonicalJson(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  throw new TypeError(`cannot be canonical JSON: ${typeof value}`);
}

// What is linked of an event (domain/chain.py canonical_event): the actor's id, not their name.
export function canonicalEvent(event) {
  return {
    job: event.job, seq: event.seq, type: event.type, at: event.at,
    actor_id: event.actor?.id ?? null, data_digest: event.data_digest,
  };
}

// The bytes whose sha256 is the event's hash: prev_hash then the canonical JSON, UTF-8.
export function canonicalBytes(event, prevHash = event.prev_hash) {
  return new TextEncoder().encode(prevHash + canonicalJson(canonicalEvent(event)));
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// The hash the event should carry, recomputed from its fields (and its own prev_hash).
export async function eventHash(event) {
  return sha256Hex(canonicalBytes(event));
}

const HEX64 = /^[0-9a-f]{64}$/;

// ---- what the log stored of an event: its wire data with the presentation taken off again (the
// rule of workspace/services/wire.py facts_of_wire): HTML, file and receipt URLs, a milestone's clock
// fields, a reply's excerpt. Its canonical JSON's sha256 is the event's `data_digest`, so the content
// shown is checked too, not only the links. An erased message version has no content left to check.
const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const without = (entity, keys) => Object.fromEntries(Object.entries(entity).filter(([k]) => !keys.includes(k)));

function attachmentFacts(a) {
  if (!("url" in a)) return a;
  return { ...without(a, ["url", "thumb_url"]), thumb: a.thumb_url !== null && a.thumb_url !== undefined };
}

function filesFacts(entity) {
  const files = entity.attachments;
  return Array.isArray(files) ? { ...entity, attachments: files.map((a) => (isObject(a) ? attachmentFacts(a) : a)) } : entity;
}

const textFacts = (entity) => filesFacts(without(entity, ["html"]));

function milestoneFacts(m) {
  const kept = without(m, ["due_at", "overdue", "overdue_at"]);
  return isObject(m.submission) ? { ...kept, submission: textFacts(m.submission) } : kept;
}

function snapshotFacts(s) {
  if (typeof s.url !== "string" || !s.url.startsWith("/files/")) return s;
  return { ...without(s, ["url", "thumb_url"]), file: s.url.slice("/files/".length), thumb: s.thumb_url !== null && s.thumb_url !== undefined };
}

const FACTS = { message: textFacts, progress: textFacts, milestone: milestoneFacts,
  payment: (p) => without(p, ["receipt_url"]), snapshot: snapshotFacts };

export function factsOf(event) {
  const out = { ...event.data };
  if (isObject(out.message) && isObject(out.message.reply_to)) {
    out.message = { ...out.message, reply_to: without(out.message.reply_to, ["excerpt"]) };
  }
  for (const [key, facts] of Object.entries(FACTS)) if (isObject(out[key])) out[key] = facts(out[key]);
  if (Array.isArray(out.milestones)) out.milestones = out.milestones.map((m) => (isObject(m) ? milestoneFacts(m) : m));
  return out;
}

// Whether the event's content is the one its digest was made of: true, false, or null when there is
// nothing to check (an erased version) or it cannot be hashed here (a value canonical JSON refuses).
export async function contentMatches(event) {
  if (!isObject(event.data) || (isObject(event.data.message) && event.data.message.erased === true)) return null;
  let text;
  try { text = canonicalJson(factsOf(event)); } catch { return null; }
  return (await sha256Hex(new TextEncoder().encode(text))) === event.data_digest;
}

// Check a run of events (any order, gaps allowed): each hash recomputes, seq 1 follows the genesis hash,
// and each prev_hash is the hash of the event before it wherever that one is in the run or in `known`
// (a Map seq -> {hash, prev} of events checked earlier; both directions are checked, so a page of older
// history links to the first event the page had). Returns {problems, checked: Map seq -> {hash, prev}}.
export async function verifyRun(events, known = new Map()) {
  const problems = [];
  const checked = new Map();
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  for (const event of sorted) {
    const wellFormed = Number.isSafeInteger(event.seq) && event.seq >= 1 && HEX64.test(event.hash ?? "")
      && HEX64.test(event.prev_hash ?? "") && HEX64.test(event.data_digest ?? "");
    let ok = wellFormed;
    if (ok) {
      try { ok = (await eventHash(event)) === event.hash; } catch { ok = false; }
    }
    if (!ok) problems.push({ kind: "hash", seq: event.seq });
    else if ((await contentMatches(event)) === false) problems.push({ kind: "content", seq: event.seq });
    checked.set(event.seq, { hash: event.hash, prev: event.prev_hash });
  }
  const at = (seq) => checked.get(seq) || known.get(seq);
  for (const [seq, { prev }] of checked) {
    const before = seq === 1 ? { hash: GENESIS_HASH } : at(seq - 1);
    if (before && before.hash !== prev) problems.push({ kind: "link", seq });
    const after = checked.has(seq + 1) ? null : known.get(seq + 1); // the next one, checked earlier
    if (after && after.prev !== checked.get(seq).hash) problems.push({ kind: "link", seq: seq + 1 });
  }
  problems.sort((a, b) => a.seq - b.seq);
  return { problems, checked };
}

// What a browser keeps of a job's chain: the head (seq, hash; signed when the signature verified) and
// the hash prefixes of the events up to it (`from`.., at most KEPT_WINDOW), with `prev` the hash before
// `from`, so a later load can say which event changed, not only that the head did.
export function keptRecord({ checkpoint, signed, seenAt, hashes }) {
  let top = 0;
  for (const seq of hashes.keys()) top = Math.max(top, seq); // (no spread: a long history is many keys)
  top = Math.min(checkpoint.checkpoint.seq, top);
  let from = top;
  while (from > 1 && hashes.has(from - 1) && top - from + 1 < KEPT_WINDOW) from -= 1;
  const run = [];
  for (let seq = from; seq <= top && hashes.has(seq); seq += 1) run.push(hashes.get(seq).hash.slice(0, PREFIX));
  const first = hashes.get(from);
  return {
    v: 1, job: checkpoint.checkpoint.job, seq: checkpoint.checkpoint.seq, hash: checkpoint.checkpoint.hash,
    at: checkpoint.checkpoint.at, seen_at: seenAt, signed: signed === true,
    checkpoint: signed === true ? checkpoint : null, // the server's own signed words, for verify.py --checkpoint
    from: run.length ? from : null, prev: run.length ? first.prev : null, hashes: run.join(""),
  };
}

function ranges(seqs) {
  const out = [];
  for (const seq of [...new Set(seqs)].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && seq === last.to + 1) last.to = seq; else out.push({ from: seq, to: seq });
  }
  return out;
}

// Does the history served (`served`: Map seq -> {hash, prev} of the events the page checked; `head`:
// the last seq the server has) extend the kept head? Problems, first changed event first:
//   {kind: "before", seq}   the history before the kept window changed (its first event links elsewhere)
//   {kind: "changed", seq}  the first event whose hash is not the one seen (later ones follow from it)
//   {kind: "missing", from, to}  events seen that the server no longer serves (cut, or a gap)
export function compareWithKept(kept, served, head) {
  if (!kept) return [];
  const problems = [];
  const missing = [];
  for (let seq = head + 1; seq <= kept.seq; seq += 1) missing.push(seq);
  const count = kept.from ? kept.hashes.length / PREFIX : 0;
  const first = kept.from ? served.get(kept.from) : null;
  let changed = null;
  if (first && kept.from > 1 && first.prev !== kept.prev) problems.push({ kind: "before", seq: kept.from });
  else {
    for (let i = 0; i < count; i += 1) {
      const seq = kept.from + i;
      if (seq > head) break;
      const now = served.get(seq);
      if (!now) { missing.push(seq); continue; }
      if (now.hash.slice(0, PREFIX) !== kept.hashes.slice(i * PREFIX, (i + 1) * PREFIX)) { changed = seq; break; }
    }
    const top = served.get(kept.seq);
    if (changed === null && top && kept.seq <= head && top.hash !== kept.hash) changed = kept.seq;
    if (changed !== null) problems.push({ kind: "changed", seq: changed });
  }
  for (const range of ranges(missing)) problems.push({ kind: "missing", ...range });
  return problems;
}

// One line per problem, as the banner says it; `when` formats an ISO time (the browser's zone).
export function describe(problem, kept, when = (iso) => iso) {
  const seen = kept?.seen_at ? ` since you last saw it on ${when(kept.seen_at)}` : "";
  switch (problem.kind) {
    case "changed": return `Event ${problem.seq} changed${seen}.`;
    case "before": return `The history before event ${problem.seq} changed${seen}.`;
    case "missing": return problem.from === problem.to ? `Event ${problem.from} is missing.`
      : `Events ${problem.from}–${problem.to} are missing.`;
    case "hash": return `Event ${problem.seq} does not match its hash.`;
    case "content": return `What event ${problem.seq} says is not what was recorded (it does not match its fingerprint).`;
    case "link": return `Event ${problem.seq} does not follow event ${problem.seq - 1}.`;
    case "head": return `The server's signed head names event ${problem.seq} with another hash than the event it served.`;
    case "signature": return `The server's signature of its head (event ${problem.seq}) does not verify.`;
    default: return "The history does not verify.";
  }
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// Whether `signed` ({checkpoint, signature, key_id}) is the Ed25519 signature of the canonical JSON of
// its checkpoint by one of `keys` (GET /api/v1/keys): true, false, or null when this browser's Web Crypto
// has no Ed25519 (then the head is kept by its hash only).
export async function verifyCheckpoint(signed, keys) {
  const key = keys.find((k) => k.key_id === signed.key_id && k.alg === "Ed25519");
  if (!key) return false;
  let publicKey;
  try {
    publicKey = await crypto.subtle.importKey("raw", fromBase64Url(key.public_key), { name: "Ed25519" }, false, ["verify"]);
  } catch (error) {
    if (error?.name === "NotSupportedError") return null;
    return false;
  }
  try {
    return await crypto.subtle.verify({ name: "Ed25519" }, publicKey, fromBase64Url(signed.signature),
      new TextEncoder().encode(canonicalJson(signed.checkpoint)));
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------- the room

const storageKey = (job) => `workspace.chain.${job}`;

// The room's checker: fed by the event log (room-log.js) with every event it applies, every gap the
// server's own pages have, and each time a join has caught up; older pages come from the chat. Work is
// queued so checks run in arrival order; nothing here delays drawing an event.
export class ChainCheck {
  constructor({ job, banner, storage = globalThis.localStorage, fetchJson = api, when = (iso) => formatTime(iso, "datetime"), keepDelay = 3000 }) {
    this.job = job;
    this.banner = banner;
    this.storage = storage;
    this.fetchJson = fetchJson;
    this.when = when;
    this.keepDelay = keepDelay;
    this.have = new Map(); // seq -> {hash, prev}: every event this page checked
    this.problems = [];
    this.kept = this.load();
    this.compared = false;
    this.head = 0;
    this.work = Promise.resolve();
    this.keepTimer = null;
    this.status = "starting"; // then "checked" (the head was kept) or "differs"; tests read it
    this.signature = undefined; // true / false / null (no Ed25519 here) once a checkpoint was checked
  }

  load() {
    try {
      const kept = JSON.parse(this.storage?.getItem(storageKey(this.job)) || "null");
      return kept?.v === 1 ? kept : null;
    } catch { return null; }
  }

  queue(task) {
    if (!globalThis.crypto?.subtle) return this.work; // no Web Crypto (not a secure context): nothing is checked
    this.work = this.work.then(task).catch((error) => console.warn("chain check", error)); // eslint-disable-line no-console
    return this.work;
  }

  // Events the log applied (in seq order, each following the last).
  received(events) {
    this.queue(async () => {
      await this.check(events);
      if (this.compared) this.scheduleKeep();
    });
  }

  // A page of older history (the chat's "Load earlier").
  older(events) { this.queue(() => this.check(events)); }

  // The server's own page skipped these seqs: they do not exist any more.
  gap(from, to) { this.queue(() => this.report([{ kind: "missing", from, to }])); }

  // A join caught up: the page has every event up to `head`. The first time, compare with the kept head.
  settled(head) {
    this.queue(async () => {
      this.head = Math.max(this.head, head);
      if (this.compared) { this.scheduleKeep(); return; }
      this.compared = await this.compare(head);
      if (this.compared) await this.keep();
    });
  }

  async check(events) {
    const fresh = events.filter((e) => e && e.job === this.job && !this.have.has(e.seq));
    if (!fresh.length) return;
    const { problems, checked } = await verifyRun(fresh, this.have);
    for (const [seq, entry] of checked) this.have.set(seq, entry);
    this.report(problems);
  }

  // Fetch the events between the kept window and what the page has (the page opens at its last 50 or so),
  // check them, then compare everything with the kept head. False when that could not be done (offline):
  // then this load keeps nothing, and the next one compares again.
  async compare(head) {
    const kept = this.kept;
    if (!kept) return true;
    let pageFirst = head + 1;
    for (const seq of this.have.keys()) pageFirst = Math.min(pageFirst, seq);
    let after = Math.max(0, (kept.from || kept.seq) - 1);
    let until = Math.min(pageFirst - 1, head); // up to the page's first event, so the links join up
    if (until - after > 2000) until = Math.min(until, kept.seq); // a long absence: what was seen is enough
    const events = [];
    while (after < until) {
      const page = await this.fetchJson("GET", `/api/v1/jobs/${this.job}/events?after=${after}&limit=500`);
      if (!page.ok) return false;
      const wanted = page.events.filter((e) => e.seq <= until);
      events.push(...wanted);
      if (!page.more || !wanted.length || wanted.length < page.events.length) break;
      after = wanted[wanted.length - 1].seq;
    }
    if (events.length) await this.check(events);
    this.report(compareWithKept(kept, this.have, head));
    return true;
  }

  scheduleKeep() {
    clearTimeout(this.keepTimer);
    this.keepTimer = setTimeout(() => this.queue(() => this.keep()), this.keepDelay);
  }

  // The server's signed head, checked and kept — unless this page found a problem: then the head kept
  // before stays (it is what the banner's proof is about).
  async keep() {
    if (this.problems.length) return;
    const reply = await this.fetchJson("GET", `/api/v1/jobs/${this.job}/checkpoint`);
    if (!reply.ok || reply.checkpoint?.job !== this.job) return;
    const signed = { checkpoint: reply.checkpoint, signature: reply.signature, key_id: reply.key_id, alg: reply.alg };
    const head = signed.checkpoint;
    const have = this.have.get(head.seq);
    if (have && have.hash !== head.hash) { this.report([{ kind: "head", seq: head.seq }]); return; }
    const kept = this.kept;
    if (kept && head.seq < kept.seq) { this.report([{ kind: "missing", from: head.seq + 1, to: kept.seq }]); return; }
    if (kept && head.seq === kept.seq && head.hash !== kept.hash) { this.report([{ kind: "changed", seq: head.seq }]); return; }
    if (!this.keys) {
      const keys = await this.fetchJson("GET", "/api/v1/keys");
      if (!keys.ok) return; // tried again with the next head
      this.keys = keys.keys;
    }
    this.signature = await verifyCheckpoint(signed, this.keys);
    if (this.signature === false) { this.report([{ kind: "signature", seq: head.seq }]); return; }
    const record = keptRecord({ checkpoint: signed, signed: this.signature, seenAt: new Date().toISOString(), hashes: this.have });
    try { this.storage?.setItem(storageKey(this.job), JSON.stringify(record)); } catch { /* full or disabled */ }
    this.kept = record;
    this.setStatus("checked");
  }

  setStatus(status) {
    this.status = status;
    if (this.banner) this.banner.dataset.state = status; // "checked" or "differs": what tests wait for
  }

  report(problems) {
    const fresh = problems.filter((p) => !this.problems.some((q) => JSON.stringify(q) === JSON.stringify(p)));
    if (!fresh.length) return;
    this.problems.push(...fresh);
    this.setStatus("differs");
    this.show();
  }

  show() {
    const box = this.banner;
    if (!box) return;
    const kept = this.kept;
    const list = document.createElement("ul");
    for (const problem of this.problems) {
      const item = document.createElement("li");
      item.textContent = describe(problem, kept, this.when);
      list.append(item);
    }
    const title = document.createElement("strong");
    // Against what this browser kept, or (a first visit too) against the history's own fingerprints.
    const againstKept = this.problems.some((p) => ["changed", "before", "missing", "head"].includes(p.kind));
    title.textContent = againstKept ? "This job's history is not the one this browser saw."
      : "This job's history does not check out: it was changed after it was recorded.";
    const proof = document.createElement("p");
    const dossier = document.createElement("a");
    dossier.href = box.dataset.dossierUrl || `/jobs/${this.job}/dossier.zip`;
    dossier.textContent = "Download the dossier";
    proof.append(dossier, " and keep it: it is the history the server serves now, signed by it.");
    if (kept?.checkpoint) {
      const head = document.createElement("a");
      head.href = URL.createObjectURL(new Blob([`${JSON.stringify(kept.checkpoint)}\n`], { type: "application/json" }));
      head.download = `${this.job}-head-${kept.seq}.json`;
      head.textContent = "the signed head this browser kept";
      proof.append(" Save ", head, ` too (event ${kept.seq}, signed ${this.when(kept.at)}): the dossier's `,
        "verify.py --checkpoint with that file shows that the history served now does not extend it.");
    } else if (kept) {
      proof.append(` This browser kept the head as event ${kept.seq} with hash ${kept.hash.slice(0, 16)}….`);
    }
    box.replaceChildren(title, list, proof);
    box.hidden = false;
  }
}
