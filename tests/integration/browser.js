#!/usr/bin/env node
// browser.js -- headless Chromium driven by playwright-core, for test_live_page.py (and
// bench/run.py): one JSON command a line on stdin, one JSON answer a line on stdout
// ({"ok":true,"value":..} or {"ok":false,"error":".."}), so that the Python test keeps
// the scenario (brokers, tallier, voter, pollctl) and every wait on the page is
// Playwright's own (page.waitForFunction), never a sleep.
//
// Usage: node browser.js USER_DATA_DIR       (Chromium: $MQTTVOTE_CHROMIUM or /usr/bin/chromium)
// Commands:
//   {"op":"page","name":N,"url":U,"width":W,"height":H}   open a tab of that viewport at U
//   {"op":"wait","name":N,"expr":JS,"ms":T}           until the expression is truthy: its value
//   {"op":"eval","name":N,"expr":JS}                    the expression's value
//   {"op":"click","name":N,"selector":S} / {"op":"fill","name":N,"selector":S,"value":V}
//   {"op":"screenshot","name":N,"path":P}
//   {"op":"errors"}                                     uncaught page errors so far
//   {"op":"consoleErrors"}                              console.error messages so far (the
//                                                       pages log none; a lost connection
//                                                       makes Chromium log one)
//   {"op":"quit"}
'use strict';
const { serve } = require('./commandloop');
const { chromium } = require('playwright-core');

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

async function main() {
  const userDataDir = process.argv[2];
  if (!userDataDir) {
    process.stderr.write('usage: node browser.js USER_DATA_DIR\n');
    process.exit(2);
  }
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.MQTTVOTE_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  const pages = {};
  const errors = [];
  const consoleErrors = [];
  const page = (name) => {
    if (!pages[name]) throw new Error('no page ' + name);
    return pages[name];
  };
  const ops = {
    async page(c) {
      const p = pages[c.name] || await context.newPage();
      pages[c.name] = p;
      p.on('pageerror', (e) => errors.push(c.name + ': ' + e.message));
      p.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(c.name + ': ' + m.text() + ' (' + m.location().url + ')');
      });
      await p.setViewportSize({ width: c.width || 1280, height: c.height || 800 });
      await p.goto(c.url, { waitUntil: 'load', timeout: 15000 });
      return p.url();
    },
    async wait(c) {
      const h = await page(c.name).waitForFunction(c.expr, null, { timeout: c.ms || 10000, polling: 'raf' });
      return h.jsonValue();
    },
    async eval(c) { return page(c.name).evaluate(c.expr); },
    async click(c) { await page(c.name).click(c.selector, { timeout: c.timeout || 10000 }); return true; },
    async fill(c) { await page(c.name).fill(c.selector, c.value, { timeout: c.timeout || 10000 }); return true; },
    async screenshot(c) { await page(c.name).screenshot({ path: c.path }); return c.path; },
    async errors() { return errors; },
    async consoleErrors() { return consoleErrors; },
  };
  await serve(ops, 'ready ' + context.browser()?.version?.());
  // Chromium's own exit, at most 5 s; then this process ends whatever is left open.
  await Promise.race([context.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write('browser.js: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
