// commandloop.js -- the line protocol of the tests' node drivers (browser.js, wsclient.js), which
// harness.NodeDriver speaks: one JSON command a line on stdin, {"op": NAME, ...}; each answered in
// order with one JSON line, {"ok":true,"value":..} or {"ok":false,"error":".."}, after a first
// {"ok":true,"value":<ready>} line. {"op":"quit"} (or the end of stdin) ends it.
'use strict';

const readline = require('readline');

// serve: answers the commands of stdin with ops[op](command) (a value or a promise of one) until
// quit; resolves then.
async function serve(ops, ready) {
  const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
  out({ ok: true, value: ready });
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    let c;
    try {
      c = JSON.parse(line);
    } catch (e) {
      out({ ok: false, error: 'not JSON: ' + line });
      continue;
    }
    if (c.op === 'quit') break;
    try {
      if (!Object.prototype.hasOwnProperty.call(ops, c.op)) throw new Error('unknown op ' + c.op);
      out({ ok: true, value: await ops[c.op](c) });
    } catch (e) {
      out({ ok: false, error: String(e && e.message || e) });
    }
  }
  rl.close();
}

module.exports = { serve };
