#!/usr/bin/env node
// Optional second reference peer: a bare Node socket.io (v4) broadcast server.
// Same contract as bare_server.py: no persistence, no auth; `join` enters the room and acks,
// `message` emits an `event` of our shape (fake seq counter) to the room and acks.
// socket.io's defaults are kept (it declines permessage-deflate unless told otherwise).
'use strict';

const http = require('http');
const { Server } = require('socket.io');

const port = parseInt(process.env.PORT || '5002', 10);
const httpServer = http.createServer();
httpServer.maxConnections = parseInt(process.env.MAX_CONNECTIONS || '20000', 10);
const io = new Server(httpServer, { pingInterval: 25000, pingTimeout: 20000, maxHttpBufferSize: 1e6 });

const seqs = new Map();
let messageId = 0;
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' }[c]));

io.on('connection', (socket) => {
  socket.on('join', (data, ack) => {
    socket.join(`job:${data.job}`);
    if (typeof ack === 'function') ack({ ok: true, events: [], last_seq: seqs.get(data.job) || 0, more: false });
  });
  socket.on('leave', (data, ack) => {
    socket.leave(`job:${data.job}`);
    if (typeof ack === 'function') ack({ ok: true });
  });
  socket.on('message', (data, ack) => {
    const seq = (seqs.get(data.job) || 0) + 1;
    seqs.set(data.job, seq);
    messageId += 1;
    const at = new Date().toISOString();
    const body = data.body || '';
    const event = {
      job: data.job, seq, type: 'message.posted', at, actor: { id: 1, name: 'Bench Sender' },
      data: { message: {
        id: messageId, author: { id: 1, name: 'Bench Sender' }, body, html: `<p>${escapeHtml(body)}</p>`,
        created_at: at, client_ref: data.client_ref || null, edited_at: null, deleted: false, reply_to: null,
        attachments: [],
      } },
    };
    io.to(`job:${data.job}`).emit('event', event);
    if (typeof ack === 'function') ack({ ok: true, event });
  });
});

httpServer.listen(port, '127.0.0.1', () => console.log(`Serving on http://127.0.0.1:${port}`));
