#!/usr/bin/env node
// Room fan-out load generator: N watcher sockets in one room, one sender socket.
//
// Speaks raw Engine.IO v4 / Socket.IO v5 frames over `ws` (no socket.io-client), so the
// generator's own cost stays small and visible (its CPU is reported with every phase).
//
//   node ws-load.js --url http://127.0.0.1:5000 --token W --sender-token S --job JOB \
//        --watchers 100 --phases steady:20:100,burst:10:100 [--deflate] [--control]
//
// Phases: steady:<msgs per s>:<count> sends open-loop on a fixed schedule (acks are not
// waited for, so a slow server shows up as latency, not as a slower sender);
// burst:<window>:<count> keeps <window> messages in flight (un-acked) until <count> are sent.
//
// Output: one JSON object per line on stdout: {"phase":"ready",...}, one {"phase":"result",...}
// per phase, then {"phase":"end"}. With --control the generator waits for a line on stdin
// ("go") before each phase and for one more ("close") before closing its sockets, so the
// caller can sample the server's CPU and memory exactly around each phase.
'use strict';

const WebSocket = require('ws');
const { performance } = require('perf_hooks');
const readline = require('readline');

function parseArgs(argv) {
  const opts = {
    url: 'http://127.0.0.1:5000', token: null, senderToken: null, job: null, watchers: 10,
    phases: 'steady:20:100', deflate: false, control: false, connectConcurrency: 100,
    connectTimeoutMs: 60000, ackTimeoutMs: 60000, drainIdleMs: 5000, label: '',
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--url': opts.url = next(); break;
      case '--token': opts.token = next(); break;
      case '--sender-token': opts.senderToken = next(); break;
      case '--job': opts.job = next(); break;
      case '--watchers': opts.watchers = parseInt(next(), 10); break;
      case '--phases': opts.phases = next(); break;
      case '--deflate': opts.deflate = true; break;
      case '--no-deflate': opts.deflate = false; break;
      case '--control': opts.control = true; break;
      case '--connect-concurrency': opts.connectConcurrency = parseInt(next(), 10); break;
      case '--connect-timeout-ms': opts.connectTimeoutMs = parseInt(next(), 10); break;
      case '--ack-timeout-ms': opts.ackTimeoutMs = parseInt(next(), 10); break;
      case '--drain-idle-ms': opts.drainIdleMs = parseInt(next(), 10); break;
      case '--label': opts.label = next(); break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!opts.job) throw new Error('--job is required');
  opts.senderToken = opts.senderToken || opts.token;
  opts.phaseList = opts.phases.split(',').filter(Boolean).map((spec) => {
    const [mode, x, count] = spec.split(':');
    if (mode === 'steady') return { mode, rate: parseFloat(x), count: parseInt(count, 10) };
    if (mode === 'burst') return { mode, window: parseInt(x, 10), count: parseInt(count, 10) };
    throw new Error(`bad phase ${spec}`);
  });
  return opts;
}

const now = () => performance.now(); // ms, same clock for sender and watchers (one process)

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function summarize(values) {
  const arr = Float64Array.from(values).sort();
  const r3 = (v) => (v == null ? null : Math.round(v * 1000) / 1000);
  return {
    n: arr.length, p50: r3(percentile(arr, 50)), p90: r3(percentile(arr, 90)),
    p99: r3(percentile(arr, 99)), max: r3(arr.length ? arr[arr.length - 1] : null),
  };
}

function cpuSeconds(since) {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

// ---- stdin control ---------------------------------------------------------------------------
const stdinLines = [];
let stdinWaiter = null;
let stdinClosed = false;
function startStdin() {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (stdinWaiter) { const w = stdinWaiter; stdinWaiter = null; w(line.trim()); } else stdinLines.push(line.trim());
  });
  rl.on('close', () => { stdinClosed = true; if (stdinWaiter) { const w = stdinWaiter; stdinWaiter = null; w(null); } });
}
function waitLine() {
  if (stdinLines.length) return Promise.resolve(stdinLines.shift());
  if (stdinClosed) return Promise.resolve(null);
  return new Promise((resolve) => { stdinWaiter = resolve; });
}
function out(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

// ---- one Socket.IO client over a raw WebSocket ------------------------------------------------
const EVENT_PREFIX = '42["event",';
const BODY_RE = /"body":\s*"t=([0-9.]+) p=(\d+) i=(\d+)/;
const SEQ_RE = /"seq":\s*(\d+)/;

class Sock {
  constructor(opts, stats, onEvent) {
    this.opts = opts;
    this.stats = stats;
    this.onEvent = onEvent; // (sock, frameString) for '42["event",...' frames
    this.nextAck = 1;
    this.acks = new Map();
    this.connected = false;
    this.closedByUs = false;
    this.lastSeq = 0;
  }

  open(auth) {
    const u = new URL(this.opts.url);
    const wsUrl = `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}/socket.io/?EIO=4&transport=websocket`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('connect timeout')); try { this.ws.terminate(); } catch (e) { /* */ } },
        this.opts.connectTimeoutMs);
      const ws = new WebSocket(wsUrl, { perMessageDeflate: this.opts.deflate, handshakeTimeout: this.opts.connectTimeoutMs });
      this.ws = ws;
      this._resolveConnect = (v) => { clearTimeout(timer); resolve(v); };
      this._rejectConnect = (e) => { clearTimeout(timer); reject(e); };
      ws.on('message', (data) => this._frame(data.toString(), auth));
      ws.on('error', (err) => { this.stats.socketErrors.push(String(err.message || err)); if (!this.connected) this._rejectConnect(err); });
      ws.on('close', (code) => {
        const wasConnected = this.connected;
        this.connected = false;
        for (const [, pending] of this.acks) pending.reject(new Error('socket closed'));
        this.acks.clear();
        if (wasConnected && !this.closedByUs) this.stats.unexpectedCloses.push(code);
        if (!wasConnected) this._rejectConnect(new Error(`closed before connect (${code})`));
      });
    });
  }

  _frame(s, auth) {
    const t = s.charCodeAt(0);
    if (t === 52 /* '4' message */) {
      if (s.startsWith(EVENT_PREFIX)) { this.onEvent(this, s); return; }
      const k = s.charCodeAt(1);
      if (k === 51 /* '3' ack */) {
        let j = 2;
        while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
        const id = parseInt(s.slice(2, j), 10);
        const pending = this.acks.get(id);
        if (pending) { this.acks.delete(id); pending.resolve(JSON.parse(s.slice(j))); }
      } else if (k === 50 /* '2' other event */) {
        const end = s.indexOf('"', 4);
        const name = s.slice(4, end);
        this.stats.otherEvents[name] = (this.stats.otherEvents[name] || 0) + 1;
      } else if (k === 48 /* '0' connected */) {
        this.connected = true;
        this._resolveConnect(JSON.parse(s.slice(2) || '{}'));
      } else if (k === 52 /* '4' connect error */) {
        this._rejectConnect(new Error(`connect refused: ${s.slice(2)}`));
      } else if (k === 49 /* '1' disconnect */) {
        this.stats.serverDisconnects += 1;
      }
    } else if (t === 50 /* '2' ping */) {
      this.ws.send('3');
    } else if (t === 48 /* '0' engine open */) {
      this.ws.send('40' + JSON.stringify(auth));
    } else if (t === 49 /* '1' engine close */) {
      this.stats.serverDisconnects += 1;
    }
  }

  // Emit with an ack; resolves with the ack's argument list.
  emit(event, data, timeoutMs) {
    const id = this.nextAck++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.acks.delete(id); reject(new Error(`ack timeout for ${event}`)); }, timeoutMs);
      this.acks.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.ws.send(`42${id}${JSON.stringify([event, data])}`);
    });
  }

  close() {
    this.closedByUs = true;
    try { this.ws.close(); } catch (e) { /* already gone */ }
  }
}

// ---- main ------------------------------------------------------------------------------------
async function main() {
  const opts = parseArgs(process.argv);
  if (opts.control) startStdin();
  const stats = { socketErrors: [], unexpectedCloses: [], serverDisconnects: 0, otherEvents: {}, outOfOrder: 0 };

  // Deliveries are attributed to the phase number written in each message body.
  const phaseState = opts.phaseList.map((p) => ({
    lat: new Float64Array(Math.max(1, p.count * opts.watchers)), msg: new Int32Array(Math.max(1, p.count * opts.watchers)),
    n: 0, first: null, last: null,
  }));
  let deliveredTotal = 0;
  let parseFailures = 0;
  const onEvent = (sock, s) => {
    const recv = now();
    const m = BODY_RE.exec(s);
    if (!m) { parseFailures += 1; return; }
    const seqM = SEQ_RE.exec(s);
    if (seqM) {
      const seq = parseInt(seqM[1], 10);
      if (seq <= sock.lastSeq) stats.outOfOrder += 1;
      sock.lastSeq = seq;
    }
    const ps = phaseState[parseInt(m[2], 10)];
    if (!ps) return;
    if (ps.n < ps.lat.length) { ps.lat[ps.n] = recv - parseFloat(m[1]); ps.msg[ps.n] = parseInt(m[3], 10); }
    ps.n += 1;
    ps.last = recv;
    deliveredTotal += 1;
  };

  // Sender: learns the room's last seq, then leaves (it only posts).
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const sender = new Sock(opts, stats, () => {});
  await sender.open({ token: opts.senderToken });
  const [senderJoin] = await sender.emit('join', { job: opts.job, after: 0 }, opts.ackTimeoutMs);
  if (!senderJoin || !senderJoin.ok) throw new Error(`sender join failed: ${JSON.stringify(senderJoin)}`);
  const lastSeq = senderJoin.last_seq;
  await sender.emit('leave', { job: opts.job }, opts.ackTimeoutMs);

  // Watchers: connect with token auth, join after the current last seq, wait for the ack.
  const watchers = [];
  const connectMs = [];
  const joinMs = [];
  const failures = [];
  let nextIndex = 0;
  async function connectOne() {
    while (nextIndex < opts.watchers) {
      nextIndex += 1;
      const sock = new Sock(opts, stats, onEvent);
      const a = now();
      try {
        await sock.open({ token: opts.token });
        const b = now();
        const [ack] = await sock.emit('join', { job: opts.job, after: lastSeq }, opts.ackTimeoutMs);
        if (!ack || !ack.ok) throw new Error(`join refused: ${JSON.stringify(ack)}`);
        connectMs.push(b - a);
        joinMs.push(now() - b);
        sock.lastSeq = ack.last_seq;
        watchers.push(sock);
      } catch (err) {
        failures.push(String(err.message || err));
        sock.close();
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.connectConcurrency, opts.watchers)) }, connectOne));
  out({
    phase: 'ready', label: opts.label, watchers: watchers.length, wanted: opts.watchers, failed: failures.length,
    failures: failures.slice(0, 5), connect_s: (now() - t0) / 1000, connect_ms: summarize(connectMs),
    join_ms: summarize(joinMs), gen_cpu_s: cpuSeconds(cpu0), last_seq: lastSeq, deflate: opts.deflate,
    other_events: { ...stats.otherEvents },
  });

  for (let p = 0; p < opts.phaseList.length; p++) {
    if (opts.control) { const line = await waitLine(); if (line === null || line === 'close') break; }
    const phase = opts.phaseList[p];
    const ps = phaseState[p];
    const alive = watchers.filter((w) => w.connected).length;
    const closesBefore = stats.unexpectedCloses.length;
    const oooBefore = stats.outOfOrder;
    const cpuStart = process.cpuUsage();
    const start = now();
    const ackMs = [];
    const ackErrors = [];
    let acked = 0;
    let sent = 0;
    const sendOne = (i) => {
      const body = `t=${now().toFixed(3)} p=${p} i=${i} bench fan-out message`;
      const s = now();
      sent += 1;
      return sender.emit('message', { job: opts.job, body, client_ref: `b${process.pid}-${opts.label}-${p}-${i}` }, opts.ackTimeoutMs)
        .then(([ack]) => {
          ackMs.push(now() - s);
          if (ack && ack.ok) acked += 1; else ackErrors.push(JSON.stringify(ack).slice(0, 200));
        })
        .catch((err) => { ackErrors.push(String(err.message || err)); });
    };
    const inflight = [];
    if (phase.mode === 'steady') {
      const interval = 1000 / phase.rate;
      for (let i = 0; i < phase.count; i++) {
        const due = start + i * interval;
        const wait = due - now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inflight.push(sendOne(i));
      }
    } else {
      let i = 0;
      const lane = async () => { while (i < phase.count) { const k = i++; await sendOne(k); } };
      for (let w = 0; w < phase.window; w++) inflight.push(lane());
    }
    const sendDone = now();
    await Promise.all(inflight);
    const ackDone = now();
    // Drain: wait for every expected delivery, or give up after drainIdleMs without progress.
    const expected = acked * alive;
    let lastCount = -1;
    let lastProgress = now();
    while (ps.n < expected) {
      if (ps.n !== lastCount) { lastCount = ps.n; lastProgress = now(); }
      if (now() - lastProgress > opts.drainIdleMs) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const end = ps.last && ps.n >= expected ? ps.last : now();
    const wall = (end - start) / 1000;
    const genCpu = cpuSeconds(cpuStart);
    const kept = Math.min(ps.n, ps.lat.length);
    const lat = summarize(ps.lat.subarray(0, kept));
    // Drift: latency of the deliveries of the first quarter of the messages against the last quarter's.
    const q = Math.max(1, Math.floor(phase.count / 4));
    const firstQ = [];
    const lastQ = [];
    for (let j = 0; j < kept; j++) {
      if (ps.msg[j] < q) firstQ.push(ps.lat[j]); else if (ps.msg[j] >= phase.count - q) lastQ.push(ps.lat[j]);
    }
    out({
      phase: 'result', label: opts.label, index: p, mode: phase.mode, rate: phase.rate || null,
      window: phase.window || null, watchers: alive, sent, acked_ok: acked, ack_errors: ackErrors.length,
      ack_error_samples: ackErrors.slice(0, 3), send_s: (sendDone - start) / 1000, acks_s: (ackDone - start) / 1000,
      sent_per_s: sent / ((sendDone - start) / 1000 || 1e-9), acked_per_s: acked / ((ackDone - start) / 1000 || 1e-9),
      expected, delivered: ps.n, missing: Math.max(0, expected - ps.n), wall_s: wall,
      deliveries_per_s: ps.n / (wall || 1e-9), latency_ms: lat, ack_ms: summarize(ackMs),
      latency_first_quarter_ms: summarize(firstQ), latency_last_quarter_ms: summarize(lastQ),
      gen_cpu_s: genCpu, gen_cpu_util: genCpu / (wall || 1e-9),
      unexpected_closes: stats.unexpectedCloses.length - closesBefore, out_of_order: stats.outOfOrder - oooBefore,
      parse_failures: parseFailures,
    });
  }

  out({
    phase: 'end', label: opts.label, delivered_total: deliveredTotal, other_events: stats.otherEvents,
    unexpected_closes: stats.unexpectedCloses.length, server_disconnects: stats.serverDisconnects,
    socket_errors: stats.socketErrors.slice(0, 5), socket_error_count: stats.socketErrors.length,
  });
  if (opts.control) await waitLine();
  sender.close();
  for (const w of watchers) w.close();
  setTimeout(() => process.exit(0), 200);
}

main().catch((err) => {
  out({ phase: 'error', error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
