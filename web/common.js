// common.js -- what the results page (index.html) and the voting page (vote.html) share:
// the broker's address (the host that served the page: mosquitto's WebSockets listener
// serves both the files and MQTT), the poll named in the address (#poll1), a connection
// through MQTT.js (web/vendor/mqtt.min.js, copied there by scripts/setup.sh) that comes
// back by itself, and the JSON of the topics (docs/contract.md: "Topics and formats", "Polls").
// A classic script (mosquitto's http_dir sends no Content-Type: no ES modules).
/* global mqtt */
var MV = (function () {
  'use strict';

  var POLL_RE = /^[A-Za-z0-9_.-]{1,64}$/;

  function brokerUrl() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/';
  }

  // The poll of the address: #poll1 -> "poll1"; null when none or not a poll name.
  function pollFromHash() {
    var h = location.hash.replace(/^#/, '');
    try { h = decodeURIComponent(h); } catch (e) { return null; }
    return POLL_RE.test(h) ? h : null;
  }

  function randomHex(bytes) {
    var a = new Uint8Array(bytes);
    crypto.getRandomValues(a);
    var s = '';
    for (var i = 0; i < a.length; i++) s += (a[i] < 16 ? '0' : '') + a[i].toString(16);
    return s;
  }

  // A connection to the broker that served the page, MQTT 5, a new random client id
  // (the ACL lets a client read only its own receipts: vote/<poll>/receipt/<client id>).
  // handlers: onConnect(client), onDown(reason), onMessage(topic, text, packet).
  // MQTT.js reconnects every second and subscribes again by itself.
  function connect(prefix, handlers) {
    var clientId = prefix + randomHex(8);
    var client = mqtt.connect(brokerUrl(), {
      protocolVersion: 5,
      clientId: clientId,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 4000,
      keepalive: 10
    });
    client.mvClientId = clientId;
    client.on('connect', function () { handlers.onConnect(client); });
    client.on('close', function () { handlers.onDown('connection closed'); });
    client.on('offline', function () { handlers.onDown('offline'); });
    client.on('error', function (e) { handlers.onDown(String(e && e.message || e)); });
    client.on('message', function (topic, payload, packet) {
      handlers.onMessage(topic, payload.toString(), packet);
    });
    return client;
  }

  // JSON of a retained message, or null (an empty payload deletes it).
  function parse(text) {
    if (!text) return null;
    try {
      var v = JSON.parse(text);
      return v && typeof v === 'object' ? v : null;
    } catch (e) {
      return null;
    }
  }

  // obj's own property key, or undefined: a poll or choice name read from a message may
  // be "__proto__", "constructor" or "toString", which a plain obj[key] finds on
  // Object.prototype (docs/web.md).
  function own(obj, key) {
    var has = obj && typeof obj === 'object' && Object.prototype.hasOwnProperty.call(obj, key);
    return has ? obj[key] : undefined;
  }

  // The votes of one choice in a result: its count, or 0 when the result has none.
  function countOf(result, choice) {
    var n = own(result && result.counts, choice);
    return typeof n === 'number' && n >= 0 ? n : 0;
  }

  // The choices to show: the information's (a defined poll), else the result's counts
  // (a poll nobody defined: the choices that have votes), else none.
  function choicesOf(info, result) {
    if (info && Array.isArray(info.choices) && info.choices.length) return info.choices.slice();
    if (result && result.counts && typeof result.counts === 'object') return Object.keys(result.counts);
    return [];
  }

  // "scheduled", "open" or "closed": the result's (newest), else the information's,
  // else "open" (a poll nobody defined is open from its first ballot).
  function statusOf(info, result) {
    if (result && typeof result.status === 'string') {
      // the information may already say closed before the final result arrives
      if (info && info.status === 'closed') return 'closed';
      return result.status;
    }
    if (info && typeof info.status === 'string') return info.status;
    return 'open';
  }

  function ms(iso) {
    var t = iso ? Date.parse(iso) : NaN;
    return isNaN(t) ? null : t;
  }

  // 3725 s -> "1h 02m 05s"
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24;
    var m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    function two(n) { return (n < 10 ? '0' : '') + n; }
    if (d) return d + 'd ' + h + 'h ' + two(m) + 'm';
    if (h) return h + 'h ' + two(m) + 'm ' + two(s) + 's';
    if (m) return m + 'm ' + two(s) + 's';
    return s + 's';
  }

  function clock(t) {
    var d = new Date(t);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  // A text node's worth of element: el('div', {class: 'x'}, 'text' or [children])
  function el(tag, attrs, content) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] !== null && attrs[k] !== undefined) {
        e.setAttribute(k, attrs[k]);
      }
    }
    if (content === undefined || content === null) return e;
    if (!Array.isArray(content)) content = [content];
    content.forEach(function (c) {
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }

  return {
    brokerUrl: brokerUrl, pollFromHash: pollFromHash, randomHex: randomHex, connect: connect,
    parse: parse, countOf: countOf, choicesOf: choicesOf, statusOf: statusOf, ms: ms, duration: duration,
    clock: clock, el: el, POLL_RE: POLL_RE
  };
})();
