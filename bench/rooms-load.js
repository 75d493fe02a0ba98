#!/usr/bin/env node
// Many small rooms: R rooms of three sockets each (a freelancer, a client, a viewer), every room
// posting at the same small rate, the total rate set per step by the caller (bench/rooms.py).
//
// Same raw Engine.IO v4 / Socket.IO v5 framing over `ws` as ws-load.js (no socket.io-client), so
// the generator's own cost stays small; its CPU is reported with every step.
//
//   node rooms-load.js --url http://127.0.0.1:8000 --rooms rooms.json [--spread] [--control]
//
// rooms.json: [{"job": "...", "tokens": [freelancer, client, viewer]}, ...].
// --spread: each socket connects from its own loopback address 127.<a>.<b>.1 (a /24 of its own),
// so that nginx's `ip_hash` (which hashes the first three octets) spreads the sockets over the
// workers as it would spread real clients; without it every socket comes from 127.0.0.1 and lands
// on one worker.
//
// Control (stdin, one command a line; one JSON line answers each on stdout):
//   step <index> <total msgs/s> <seconds>  every room sends total/R msgs/s for <seconds>, senders
//                                          alternating freelancer/client, each room at its own phase;
//                                          then wait for every ack and delivery (or drain-idle ms).
//   close                                  close every socket and exit.
// Each message body is `t=<performance.now()> p=<step> i=<n>`; every member of the room (the
// sender too: the server sends each event to the whole room) takes receive time - t.
'use strict';

const WebSocket = require('ws');
const fs = require('fs');
const http = require('http');
const { performance } = require('perf_hooks');
const readline = require('readline');

function parseArgs(argv) {
  const opts = { url: 'http://127.0.0.1:8000', rooms: null, spread: false, connectConcurrency: 32,
    connectTimeoutMs: 60000, ackTimeoutMs: 60000, drainIdleMs: 3000 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--url': opts.url = next(); break;
      case '--rooms': opts.rooms = next(); break;
      case '--spread': opts.spread = true; break;
      case '--connect-concurrency': opts.connectConcurrency = parseInt(next(), 10); break;
      case '--ack-timeout-ms': opts.ackTimeoutMs = parseInt(next(), 10); break;
      case '--drain-idle-ms': opts.drainIdleMs = parseInt(next(), 10); break;
      case '--control': break; // always driven over stdin
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!opts.rooms) throw new Error('--rooms is required');
  return opts;
}

const now = () => performance.now();
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function summarize(values) {
  const arr = Float64Array.from(values).sort();
  const at = (p) => (arr.length ? arr[Math.min(arr.length - 1, Math.max(0, Math.ceil((p / 100) * arr.length) - 1))] : null);
  const r = (v) => (v == null ? null : Math.round(v * 100) / 100);
  return { n: arr.length, p50: r(at(50)), p90: r(at(90)), p99: r(at(99)), max: r(arr.length ? arr[arr.length - 1] : null) };
}

const BODY_RE = /"body":\s*"t=([0-9.]+) p=(\d+) i=(\d+)/;
const SEQ_RE = /"seq":\s*(\d+)/;
const EVENT_PREFIX = '42["event",';

// One Socket.IO client over a raw WebSocket (the framing of ws-load.js's Sock).
class Sock {
  constructor(opts, stats, localAddress) {
    this.opts = opts; this.stats = stats; this.localAddress = localAddress;
    this.nextAck = 1; this.acks = new Map(); this.connected = false; this.closedByUs = false; this.lastSeq = 0;
    this.onEvent = null;
  }

  open(auth) {
    const u = new URL(this.opts.url);
    const wsUrl = `ws://${u.host}/socket.io/?EIO=4&transport=websocket`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('connect timeout')); try { this.ws.terminate(); } catch (e) { /* */ } },
        this.opts.connectTimeoutMs);
      const options = { perMessageDeflate: false, handshakeTimeout: this.opts.connectTimeoutMs, agent: false };
      if (this.localAddress) options.localAddress = this.localAddress;
      const ws = new WebSocket(wsUrl, options);
      this.ws = ws;
      this._resolve = (v) => { clearTimeout(timer); resolve(v); };
      this._reject = (e) => { clearTimeout(timer); reject(e); };
      ws.on('message', (data) => this._frame(data.toString(), auth));
      ws.on('error', (err) => { this.stats.socketErrors.push(String(err.message || err)); if (!this.connected) this._reject(err); });
      ws.on('close', (code) => {
        const was = this.connected;
        this.connected = false;
        for (const [, pending] of this.acks) pending.reject(new Error('socket closed'));
        this.acks.clear();
        if (was && !this.closedByUs) this.stats.unexpectedCloses += 1;
        if (!was) this._reject(new Error(`closed before connect (${code})`));
      });
    });
  }

  _frame(s, auth) {
    const t = s.charCodeAt(0);
    if (t === 52 /* '4' message */) {
      if (s.startsWith(EVENT_PREFIX)) { if (this.onEvent) this.onEvent(this, s); return; }
      const k = s.charCodeAt(1);
      if (k === 51 /* ack */) {
        let j = 2;
        while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
        const pending = this.acks.get(parseInt(s.slice(2, j), 10));
        if (pending) { this.acks.delete(parseInt(s.slice(2, j), 10)); pending.resolve(JSON.parse(s.slice(j))); }
      } else if (k === 50 /* other event */) {
        const name = s.slice(4, s.indexOf('"', 4));
        this.stats.otherEvents[name] = (this.stats.otherEvents[name] || 0) + 1;
      } else if (k === 48 /* connected */) {
        this.connected = true; this._resolve(JSON.parse(s.slice(2) || '{}'));
      } else if (k === 52 /* connect error */) {
        this._reject(new Error(`connect refused: ${s.slice(2)}`));
      } else if (k === 49 /* disconnect */) {
        this.stats.serverDisconnects += 1;
      }
    } else if (t === 50 /* ping */) {
      this.ws.send('3');
    } else if (t === 48 /* engine open */) {
      this.ws.send('40' + JSON.stringify(auth));
    } else if (t === 49 /* engine close */) {
      this.stats.serverDisconnects += 1;
    }
  }

  emit(event, data, timeoutMs) {
    const id = this.nextAck++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.acks.delete(id); reject(new Error(`ack timeout for ${event}`)); }, timeoutMs);
      this.acks.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      this.ws.send(`42${id}${JSON.stringify([event, data])}`);
    });
  }

  close() { this.closedByUs = true; try { this.ws.close(); } catch (e) { /* gone */ } }
}

function sourceAddress(i) {
  // 127.<1..254>.<0..255>.1: a /24 of its own per socket (nginx's ip_hash reads three octets).
  return `127.${1 + (Math.floor(i / 256) % 254)}.${i % 256}.1`;
}

async function main() {
  const opts = parseArgs(process.argv);
  http.globalAgent.keepAlive = false;
  const rooms = JSON.parse(fs.readFileSync(opts.rooms, 'utf8'));
  const stats = { socketErrors: [], unexpectedCloses: 0, serverDisconnects: 0, otherEvents: {}, outOfOrder: 0 };
  let steps = [];
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
    const st = steps[parseInt(m[2], 10)];
    if (!st) return;
    st.lat.push(recv - parseFloat(m[1]));
    st.delivered += 1;
    st.last = recv;
  };

  // Connect: three sockets a room, each joins its room (after its current last seq).
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const joinMs = [];
  const failures = [];
  const jobs = rooms.map((r) => ({ job: r.job, socks: [] }));
  const todo = [];
  rooms.forEach((r, ri) => r.tokens.forEach((tok, k) => todo.push({ ri, k, tok, i: todo.length })));
  let next = 0;
  async function connectLane() {
    while (next < todo.length) {
      const item = todo[next++];
      const sock = new Sock(opts, stats, opts.spread ? sourceAddress(item.i) : null);
      sock.onEvent = onEvent;
      try {
        await sock.open({ token: item.tok });
        const a = now();
        const [ack] = await sock.emit('join', { job: rooms[item.ri].job, after: 0 }, opts.ackTimeoutMs);
        if (!ack || !ack.ok) throw new Error(`join refused: ${JSON.stringify(ack).slice(0, 200)}`);
        joinMs.push(now() - a);
        sock.lastSeq = ack.last_seq;
        jobs[item.ri].socks[item.k] = sock;
      } catch (err) {
        failures.push(String(err.message || err));
        sock.close();
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, opts.connectConcurrency) }, connectLane));
  const sockets = jobs.reduce((n, j) => n + j.socks.filter(Boolean).length, 0);
  out({ phase: 'ready', rooms: rooms.length, sockets, failed: failures.length, failures: failures.slice(0, 5),
    connect_s: (now() - t0) / 1000, join_ms: summarize(joinMs), gen_cpu_s: (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6 });

  const rl = readline.createInterface({ input: process.stdin });
  const lines = [];
  let waiter = null;
  rl.on('line', (l) => { if (waiter) { const w = waiter; waiter = null; w(l.trim()); } else lines.push(l.trim()); });
  rl.on('close', () => { if (waiter) { const w = waiter; waiter = null; w('close'); } else lines.push('close'); });
  const readLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => { waiter = r; }));

  for (;;) {
    const line = await readLine();
    if (!line || line === 'close') break;
    const [cmd, idxS, rateS, secsS] = line.split(/\s+/);
    if (cmd !== 'step') continue;
    const index = parseInt(idxS, 10);
    const total = parseFloat(rateS);
    const seconds = parseFloat(secsS);
    const st = { lat: [], delivered: 0, last: null };
    steps[index] = st;
    const closesBefore = stats.unexpectedCloses;
    const oooBefore = stats.outOfOrder;
    const cpuStart = process.cpuUsage();
    const start = now();
    const interval = (1000 * rooms.length) / total; // each room's period, ms
    const ackMs = [];
    const ackErrors = [];
    let sent = 0;
    let acked = 0;
    let expected = 0;
    const pending = [];
    const timers = [];
    jobs.forEach((room, ri) => {
      const alive = () => room.socks.filter((s) => s && s.connected);
      let n = 0;
      const fire = () => {
        const due = start + (ri / rooms.length) * interval + n * interval;
        if (due - start >= seconds * 1000) return;
        const sender = room.socks[n % 2];
        const i = n;
        n += 1;
        const wait = due - now();
        timers.push(setTimeout(() => {
          if (sender && sender.connected) {
            const body = `t=${now().toFixed(3)} p=${index} i=${i} rooms bench message`;
            const s = now();
            sent += 1;
            const members = alive().length;
            pending.push(sender.emit('message', { job: room.job, body, client_ref: `r${process.pid}-${index}-${ri}-${i}` },
              opts.ackTimeoutMs).then(([ack]) => {
              ackMs.push(now() - s);
              if (ack && ack.ok) { acked += 1; expected += members; } else ackErrors.push(JSON.stringify(ack).slice(0, 200));
            }).catch((err) => ackErrors.push(String(err.message || err))));
          }
          fire();
        }, Math.max(0, wait)));
      };
      fire();
    });
    await new Promise((r) => setTimeout(r, seconds * 1000 + 5));
    const sendDone = now();
    await Promise.all(pending.slice());
    await Promise.all(pending.slice()); // sends scheduled in the last millisecond
    const ackDone = now();
    let lastCount = -1;
    let lastProgress = now();
    while (st.delivered < expected) {
      if (st.delivered !== lastCount) { lastCount = st.delivered; lastProgress = now(); }
      if (now() - lastProgress > opts.drainIdleMs) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const end = st.last && st.delivered >= expected ? Math.max(st.last, ackDone) : now();
    const wall = (end - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    out({
      phase: 'step', index, target_rate: total, per_room_rate: total / rooms.length, seconds, sent, acked,
      ack_errors: ackErrors.length, ack_error_samples: ackErrors.slice(0, 3), send_s: (sendDone - start) / 1000,
      acks_s: (ackDone - start) / 1000, wall_s: wall, msgs_per_s: acked / ((sendDone - start) / 1000),
      expected, delivered: st.delivered, missing: Math.max(0, expected - st.delivered),
      deliveries_per_s: st.delivered / ((sendDone - start) / 1000), latency_ms: summarize(st.lat), ack_ms: summarize(ackMs),
      gen_cpu_s: (cpu.user + cpu.system) / 1e6, unexpected_closes: stats.unexpectedCloses - closesBefore,
      out_of_order: stats.outOfOrder - oooBefore, parse_failures: parseFailures,
    });
    st.lat = []; // free memory; figures are out
  }
  out({ phase: 'end', other_events: stats.otherEvents, unexpected_closes: stats.unexpectedCloses,
    server_disconnects: stats.serverDisconnects, socket_errors: stats.socketErrors.slice(0, 5) });
  for (const room of jobs) for (const s of room.socks) if (s) s.close();
  setTimeout(() => process.exit(0), 300);
}

main().catch((err) => { out({ phase: 'error', error: String(err && err.stack ? err.stack : err) }); process.exit(1); });
