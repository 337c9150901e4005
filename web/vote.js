// vote.js -- the voting page (vote.html#poll1): reads the poll's information
// (vote/<poll>/info) and result (vote/<poll>/result) for its question and choices, asks
// the voter's name once (kept in localStorage), and publishes the same ballot as the
// `voter` program -- {"poll","voter","choice","id":32 hex,"ts":ms} on vote/<poll>, QoS 1
// -- asking for a receipt with the MQTT 5 Response Topic vote/<poll>/receipt/<client id>
// (which the ACL lets only this client read) and a Correlation Data; it shows the
// tallier's receipt (docs/contract.md: "Receipts (public contract)").
/* global MV */
(function () {
  'use strict';
  var NAME_KEY = 'mqttvote.voter';
  var $ = function (id) { return document.getElementById(id); };
  var pollName = MV.pollFromHash();
  var info = null, result = null, client = null, connected = false;
  var pending = null;   // {id, choice, timer} of the ballot awaiting its receipt
  var drawnChoices = '';

  function voterName() {
    try { return localStorage.getItem(NAME_KEY) || ''; } catch (e) { return ''; }
  }

  // The voter rule of the ballot format: 1 to 64 bytes of UTF-8, no control characters.
  function nameError(name) {
    if (!name) return 'Please type your name.';
    if (new TextEncoder().encode(name).length > 64) return 'At most 64 bytes, please.';
    if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'No control characters, please.';
    return null;
  }

  function lastKey() { return 'mqttvote.last.' + pollName + '.' + voterName(); }

  function setBanner() {
    $('banner').hidden = connected;
    if (connected) document.body.removeAttribute('data-disconnected');
    else document.body.setAttribute('data-disconnected', '');
  }

  function showReceipt(state, title, detail) {
    var r = $('receipt');
    r.hidden = false;
    r.setAttribute('data-status', state);
    r.className = 'receipt r-' + state;
    r.textContent = '';
    r.appendChild(MV.el('strong', { 'class': 'r-title' }, title));
    if (detail) r.appendChild(MV.el('span', { 'class': 'r-detail' }, detail));
  }

  function draw() {
    var st = MV.statusOf(info, result);
    $('poll-name').textContent = pollName;
    $('question').textContent = info && info.question ? info.question : 'Poll ' + pollName;
    var open = st === 'open';
    var text = st === 'closed' ? 'This poll is closed.' :
      st === 'scheduled' ? 'This poll is not open yet' +
        (MV.ms(info && info.opens) ? ': it opens at ' + MV.clock(MV.ms(info.opens)) + '.' : '.') : '';
    var closes = info && MV.ms(info.closes);
    if (open && closes) text = 'Open until ' + MV.clock(closes) + '.';
    $('status').textContent = text;
    $('status').setAttribute('data-status', st);

    var name = voterName();
    $('name-form').hidden = !!name;
    $('ballot').hidden = !name;
    if (!name) return;
    $('voter-name').textContent = name;

    var choices = MV.choicesOf(info, result);
    var key = JSON.stringify(choices) + st + (pending ? 1 : 0);
    $('free-choice').hidden = choices.length > 0 || !open;
    if (key === drawnChoices) return;
    drawnChoices = key;
    var box = $('choices');
    box.textContent = '';
    choices.forEach(function (c) {
      var b = MV.el('button', { type: 'button', 'class': 'big choice', 'data-choice': c }, c);
      b.disabled = !open || !!pending;
      b.addEventListener('click', function () { send(c); });
      box.appendChild(b);
    });
  }

  function send(choice) {
    if (pending || !client) return;
    var id = MV.randomHex(16);
    var ballot = { poll: pollName, voter: voterName(), choice: choice, id: id, ts: Date.now() };
    var receiptTopic = 'vote/' + pollName + '/receipt/' + client.mvClientId;
    pending = { id: id, choice: choice, previous: localGet(lastKey()) };
    showReceipt('sending', 'Sending your vote for \u201c' + choice + '\u201d\u2026',
      connected ? null : 'Waiting for the broker: it goes as soon as the connection is back.');
    draw();
    client.publish('vote/' + pollName, JSON.stringify(ballot), {
      qos: 1,
      properties: { responseTopic: receiptTopic, correlationData: id }
    }, function (err) {
      if (!pending || pending.id !== id) return;
      if (err) {
        pending = null;
        showReceipt('failed', 'Not sent', String(err.message || err));
        draw();
        return;
      }
      showReceipt('sent', 'Sent: waiting for the tallier\u2019s receipt\u2026');
      pending.timer = setTimeout(function () {
        if (pending && pending.id === id) {
          showReceipt('sent', 'Sent, no receipt yet',
            'The broker has your vote, but no tallier has answered within 10 s (is one running?). ' +
            'The receipt shows here if it comes.');
        }
      }, 10000);
    });
  }

  function localGet(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }
  function localSet(k, v) { try { localStorage.setItem(k, v); } catch (e) { /* private mode */ } }

  function onReceipt(text, packet) {
    var r = MV.parse(text);
    if (!r || !pending) return;
    var corr = packet && packet.properties && packet.properties.correlationData;
    var corrText = corr ? String(corr) : null;
    if (r.id !== pending.id && corrText !== pending.id) return;
    var p = pending;
    clearTimeout(p.timer);
    pending = null;
    if (r.status === 'counted') {
      var replaced = p.previous && p.previous !== p.choice;
      localSet(lastKey(), p.choice);
      showReceipt('counted', 'Counted: \u201c' + p.choice + '\u201d',
        replaced ? 'It replaces your earlier vote (\u201c' + p.previous + '\u201d).' : 'Thank you.');
    } else if (r.status === 'duplicate') {
      showReceipt('duplicate', 'Already counted', r.reason ? r.reason : 'Your vote for \u201c' + p.choice + '\u201d was already counted: nothing changed.');
    } else if (r.status === 'rejected') {
      showReceipt('rejected', 'Rejected', r.reason || 'the tallier gave no reason');
    } else {
      showReceipt('unknown', 'The tallier answered \u201c' + r.status + '\u201d');
    }
    draw();
  }

  $('name-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('name-input').value.trim();
    var err = nameError(name);
    if (err) { $('name-input').setCustomValidity(err); $('name-input').reportValidity(); return; }
    localSet(NAME_KEY, name);
    drawnChoices = '';
    draw();
  });
  $('name-input').addEventListener('input', function () { $('name-input').setCustomValidity(''); });
  $('change-name').addEventListener('click', function (e) {
    e.preventDefault();
    $('name-input').value = voterName();
    try { localStorage.removeItem(NAME_KEY); } catch (x) { /* ignore */ }
    draw();
    $('name-input').focus();
  });
  $('free-choice').addEventListener('submit', function (e) {
    e.preventDefault();
    var c = $('free-input').value.trim();
    if (c) send(c);
  });
  window.addEventListener('hashchange', function () { location.reload(); });

  if (!pollName) {
    $('no-poll').hidden = false;
    $('banner').hidden = true;
    return;
  }
  client = MV.connect('vote-', {
    onConnect: function (c) {
      connected = true;
      setBanner();
      c.subscribe(['vote/' + pollName + '/info', 'vote/' + pollName + '/result',
                   'vote/' + pollName + '/receipt/' + c.mvClientId], { qos: 1 });
    },
    onDown: function () {
      connected = false;
      $('banner').textContent = 'Disconnected from the broker: reconnecting\u2026';
      setBanner();
    },
    onMessage: function (topic, text, packet) {
      if (topic === 'vote/' + pollName + '/info') info = MV.parse(text);
      else if (topic === 'vote/' + pollName + '/result') result = MV.parse(text);
      else if (topic.indexOf('vote/' + pollName + '/receipt/') === 0) onReceipt(text, packet);
      draw();
    }
  });
  setBanner();
  draw();
})();
