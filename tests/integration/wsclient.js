#!/usr/bin/env node
// wsclient.js -- MQTT-over-WebSockets clients for test_ws_roles.py: MQTT.js (node_modules/mqtt,
// the library the pages use), MQTT 5, driven by one JSON command a line on stdin, one JSON
// answer a line on stdout ({"ok":true,"value":..} or {"ok":false,"error":".."}), so that the
// Python test keeps the scenario and every wait is on a message, never a sleep.
//
// Usage: node wsclient.js
// Commands (each client has a name; a client keeps every message it receives):
//   {"op":"connect","name":N,"url":"ws://127.0.0.1:P/","clientId":C}     until the CONNACK
//   {"op":"subscribe","name":N,"topics":[..]}     QoS 1, until the SUBACK: the granted QoS list
//   {"op":"publish","name":N,"topic":T,"payload":S,"retain":B,"responseTopic":R,"correlationData":D}
//        QoS 1, until the PUBACK: {"error":null} or {"error":"Publish error: Not authorized","code":135}
//   {"op":"waitFor","name":N,"topic":T,"contains":S,"ms":M}   until a message on T whose payload
//        holds S has come (at once if one has): that message {"topic","payload","retain"}
//   {"op":"messages","name":N}                     every message so far
//   {"op":"quit"}
'use strict';
const { serve } = require('./commandloop');
const mqtt = require('mqtt');

const clients = {};

function client(name) {
  if (!clients[name]) throw new Error('no client ' + name);
  return clients[name];
}

function find(c, topic, contains) {
  return c.messages.find((m) => m.topic === topic && (!contains || m.payload.includes(contains)));
}

const ops = {
  connect(c) {
    return new Promise((resolve, reject) => {
      const cl = mqtt.connect(c.url, {
        protocolVersion: 5, clientId: c.clientId, clean: true, reconnectPeriod: 0, connectTimeout: 10000,
      });
      const entry = { client: cl, messages: [], waiters: [] };
      cl.on('message', (topic, payload, packet) => {
        entry.messages.push({ topic, payload: payload.toString(), retain: !!packet.retain });
        entry.waiters = entry.waiters.filter((w) => !w());
      });
      cl.once('connect', () => { clients[c.name] = entry; resolve(true); });
      cl.once('error', (e) => reject(e));
      cl.once('close', () => reject(new Error('connection closed before CONNACK')));
    });
  },
  subscribe(c) {
    return new Promise((resolve, reject) => {
      client(c.name).client.subscribe(c.topics, { qos: 1 }, (err, granted) => {
        if (err) reject(err); else resolve(granted.map((g) => g.qos));
      });
    });
  },
  publish(c) {
    const properties = {};
    if (c.responseTopic) properties.responseTopic = c.responseTopic;
    if (c.correlationData) properties.correlationData = Buffer.from(c.correlationData);
    return new Promise((resolve) => {
      client(c.name).client.publish(c.topic, c.payload, { qos: 1, retain: !!c.retain, properties }, (err) => {
        resolve(err ? { error: err.message, code: err.code } : { error: null });
      });
    });
  },
  waitFor(c) {
    const e = client(c.name);
    return new Promise((resolve, reject) => {
      const found = find(e, c.topic, c.contains);
      if (found) { resolve(found); return; }
      const timer = setTimeout(() => {
        e.waiters = e.waiters.filter((w) => w !== check);
        reject(new Error('no message on ' + c.topic + (c.contains ? ' holding ' + c.contains : '') +
                         ' within ' + (c.ms || 10000) + ' ms; got: ' + JSON.stringify(e.messages)));
      }, c.ms || 10000);
      function check() {
        const m = find(e, c.topic, c.contains);
        if (!m) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      }
      e.waiters.push(check);
    });
  },
  messages(c) { return client(c.name).messages; },
};

async function main() {
  await serve(ops, 'ready');
  for (const name of Object.keys(clients)) clients[name].client.end(true);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write('wsclient.js: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
