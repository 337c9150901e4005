// results.js -- the results page (index.html): subscribes to every poll's information
// (vote/+/info) and result (vote/+/result), both retained, and draws the list (no #poll
// in the address) or one poll (#poll1) as soon as each message comes; a timer redraws
// the time left once a second. A banner says when the broker is out of reach.
/* global MV, qrcode */
(function () {
  'use strict';
  // name -> {info, result, received}; a Map, not an object: a poll may be named
  // __proto__, constructor or toString (any name of the topic rule)
  var polls = new Map();
  var connected = false;
  var $ = function (id) { return document.getElementById(id); };

  function poll(name) {
    var p = polls.get(name);
    if (!p) {
      p = { info: null, result: null, received: null };
      polls.set(name, p);
    }
    return p;
  }

  function setBanner() {
    var b = $('banner');
    if (connected) {
      b.hidden = true;
      document.body.removeAttribute('data-disconnected');
    } else {
      b.hidden = false;
      document.body.setAttribute('data-disconnected', '');
    }
  }

  // "open, closes in 4m 59s" / "closed: final result" / "opens in ..."
  function statusText(p, now) {
    var st = MV.statusOf(p.info, p.result);
    var info = p.info || {};
    if (st === 'closed') {
      var when = MV.ms(info.closed);
      return { st: st, text: 'Closed: final result' + (when ? ' (closed at ' + MV.clock(when) + ')' : '') };
    }
    if (st === 'scheduled') {
      var opens = MV.ms(info.opens);
      return { st: st, text: 'Not open yet' + (opens ? ': opens in ' + MV.duration((opens - now) / 1000) : '') };
    }
    var closes = MV.ms(info.closes);
    if (closes) {
      return { st: st, text: closes > now ? 'Open: closes in ' + MV.duration((closes - now) / 1000)
                                          : 'Open: closing now' };
    }
    return { st: st, text: 'Open' };
  }

  function drawList(now) {
    var names = Array.from(polls.keys()).sort();
    var tbody = $('poll-list').querySelector('tbody');
    tbody.textContent = '';
    names.forEach(function (name) {
      var p = polls.get(name);
      var s = statusText(p, now);
      var total = p.result && typeof p.result.total === 'number' ? p.result.total : 0;
      tbody.appendChild(MV.el('tr', { 'data-poll': name, 'data-status': s.st }, [
        MV.el('td', null, MV.el('a', { href: '#' + encodeURIComponent(name) }, name)),
        MV.el('td', null, p.info && p.info.question ? p.info.question : ''),
        MV.el('td', { 'class': 'st st-' + s.st }, s.text),
        MV.el('td', { 'class': 'num total' }, total)
      ]));
    });
    $('list-empty').hidden = names.length > 0;
    $('poll-list').hidden = names.length === 0;
  }

  var qrFor = null;
  function drawQr(name) {
    var url = location.origin + location.pathname.replace(/[^/]*$/, '') + 'vote.html#' + encodeURIComponent(name);
    if (qrFor === url) return;
    qrFor = url;
    $('vote-url').textContent = url;
    $('qr').setAttribute('data-url', url);
    if (typeof qrcode !== 'function') {
      $('qr-code').textContent = '(no QR code library: run scripts/setup.sh)';
      return;
    }
    var qr = qrcode(0, 'M');
    qr.addData(url);
    qr.make();
    $('qr-code').innerHTML = qr.createSvgTag({ cellSize: 6, margin: 2, scalable: true });
  }

  function drawPoll(name, now) {
    var p = poll(name);
    var r = p.result;
    var s = statusText(p, now);
    var view = $('poll-view');
    view.setAttribute('data-poll', name);
    view.setAttribute('data-status', s.st);
    $('poll-name').textContent = name;
    $('question').textContent = p.info && p.info.question ? p.info.question : name;
    $('status').textContent = s.text;
    $('status').className = 'status st-' + s.st;
    drawQr(name);

    var hidden = !!(r && !r.counts && r.results === 'after-close') ||
                 !!(!r && p.info && p.info.results === 'after-close' && s.st !== 'closed');
    $('hidden-note').hidden = !hidden;
    $('no-result').hidden = !!r || hidden;
    var total = r && typeof r.total === 'number' ? r.total : 0;
    $('total').textContent = total + (total === 1 ? ' vote' : ' votes') +
      (r && r.rejected ? ' (' + r.rejected + ' rejected)' : '');
    if ($('total').getAttribute('data-total') !== String(total)) {
      $('total').setAttribute('data-total', total);
      $('total').setAttribute('data-shown-at', Date.now()); // when it changed (bench/run.py reads it)
    }
    var updated = r ? MV.ms(r.updated) : null;
    $('updated').textContent = updated ? 'updated ' + MV.clock(updated) : '';
    view.setAttribute('data-updated', r && r.updated ? r.updated : '');

    var bars = $('bars');
    bars.textContent = '';
    if (hidden) return;
    var choices = MV.choicesOf(p.info, r);
    var max = 0;
    choices.forEach(function (c) { max = Math.max(max, MV.countOf(r, c)); });
    choices.forEach(function (c) {
      var n = MV.countOf(r, c);
      var pct = total ? Math.round(n * 100 / total) : 0;
      var fill = MV.el('div', { 'class': 'fill' + (n && n === max ? ' lead' : '') });
      fill.style.width = (total ? n * 100 / total : 0) + '%';
      bars.appendChild(MV.el('div', { 'class': 'bar', 'data-choice': c, 'data-count': n, 'data-percent': pct }, [
        MV.el('div', { 'class': 'label' }, [MV.el('span', { 'class': 'choice' }, c),
          MV.el('span', { 'class': 'nums' }, [MV.el('span', { 'class': 'count' }, n), ' \u00b7 ',
            MV.el('span', { 'class': 'percent' }, pct + '%')])]),
        MV.el('div', { 'class': 'track' }, fill)
      ]));
    });
  }

  function draw() {
    var now = Date.now();
    var name = MV.pollFromHash();
    $('list-view').hidden = !!name;
    $('poll-view').hidden = !name;
    if (name) drawPoll(name, now); else drawList(now);
  }

  MV.connect('results-', {
    onConnect: function (client) {
      connected = true;
      setBanner();
      client.subscribe(['vote/+/info', 'vote/+/result'], { qos: 1 });
    },
    onDown: function () {
      connected = false;
      $('banner').textContent = 'Disconnected from the broker: reconnecting\u2026 (the figures below may be out of date)';
      setBanner();
    },
    onMessage: function (topic, text) {
      var m = /^vote\/([^/]+)\/(info|result)$/.exec(topic);
      if (!m) return;
      var p = poll(m[1]);
      p[m[2]] = MV.parse(text);
      p.received = Date.now();
      if (!p.info && !p.result) polls.delete(m[1]);
      draw();
    }
  });
  window.addEventListener('hashchange', function () { qrFor = null; draw(); });
  $('back').addEventListener('click', function (e) { e.preventDefault(); location.hash = ''; });
  setInterval(draw, 1000);
  setBanner();
  draw();
})();
