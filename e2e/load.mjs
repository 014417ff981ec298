// Load harness (not part of the test run): how long a lesson link takes to be ready on a
// phone over a slow mobile link, and what the page transfers before it is ready.
//
//   node e2e/load.mjs DIST [DIST ...] [--runs N] [--hash '#preset=missing-BI'] [--fast] [--json]
//
// Each DIST (a `trunk build --release` output, e.g. one before and one after a change) is
// served by this script itself, gzip-compressed as a static host should serve it (see the
// README, "Serving the page"): `Content-Encoding: gzip` (level 9) for text and wasm,
// `application/wasm`, and long caching only for the hashed file names. The browser starts
// with an empty cache every run and is throttled like Lighthouse's mobile profile:
// 1.6 Mbps down, 750 kbps up, 150 ms round trip (Chrome's network emulation applies the
// latency per request), the CPU 4× slower. "Ready" is the moment `body[data-ready="true"]`
// is set (the app sets it once the lesson's views, badges, loss and matrix are drawn),
// measured from the navigation's start. Runs alternate between the DISTs (run 1 of each,
// then run 2, …) so a busy machine slows them alike; medians with their range, and ratios
// to the first DIST. `--fast` drops the throttling (to see the start-up cost alone).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS } from './helpers.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const k = args.indexOf(name);
  if (k < 0) return fallback;
  const v = args[k + 1];
  args.splice(k, 2);
  return v;
};
const bool = (name) => {
  const k = args.indexOf(name);
  if (k < 0) return false;
  args.splice(k, 1);
  return true;
};
const runs = Number(flag('--runs', 3));
const hash = flag('--hash', '#preset=missing-BI');
const fast = bool('--fast');
const json = bool('--json');
const dists = args;
if (dists.length === 0) {
  console.error('usage: node e2e/load.mjs DIST [DIST ...] [--runs N] [--hash H] [--fast] [--json]');
  process.exit(2);
}

/** Lighthouse's mobile profile ("slow 4G"), in the units of Chrome's DevTools protocol. */
const NETWORK = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};
const CPU_SLOWDOWN = 4;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
};
/** trunk's hashed names (`name-0123abcd….ext`) never change content: cache them long. */
const HASHED = /-[0-9a-f]{12,20}(_bg)?\.(js|css|wasm)$/;

/** Serves `dir` gzip-compressed on a free port; resolves to its base URL and server. */
function serve(dir) {
  const cache = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const file = path.join(dir, path.normalize(name));
    if (!file.startsWith(path.resolve(dir)) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    if (!cache.has(file)) cache.set(file, zlib.gzipSync(fs.readFileSync(file), { level: 9 }));
    const body = cache.get(file);
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Encoding': 'gzip',
      'Content-Length': body.length,
      'Cache-Control': HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${server.address().port}/` }));
  });
}

/** One cold load: milliseconds to ready, bytes transferred before it, requests. */
async function load(browser, base) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (!fast) {
    await cdp.send('Network.emulateNetworkConditions', NETWORK);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
  }
  let bytes = 0;
  let requests = 0;
  let done = false;
  cdp.on('Network.loadingFinished', (e) => {
    if (!done) {
      bytes += e.encodedDataLength;
      requests += 1;
    }
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The moment the flag is set, seen by an observer rather than by polling for it.
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.body?.dataset.ready === 'true') {
        window.__diceReadyAt = performance.now();
        obs.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
  });
  await page.goto(base + hash, { waitUntil: 'commit' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  done = true;
  const ms = await page.evaluate(() => window.__diceReadyAt);
  await context.close();
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  return { ms, bytes, requests };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

const servers = await Promise.all(dists.map(serve));
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
const results = dists.map(() => []);
try {
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < dists.length; i++) results[i].push(await load(browser, servers[i].base));
  }
} finally {
  await browser.close();
  servers.forEach((s) => s.server.close());
}

const summary = dists.map((d, i) => {
  const ms = results[i].map((x) => x.ms);
  return {
    dist: d,
    ready_ms: median(ms),
    range: [Math.min(...ms), Math.max(...ms)],
    kb_before_ready: median(results[i].map((x) => x.bytes)) / 1000,
    requests: median(results[i].map((x) => x.requests)),
  };
});
if (json) {
  console.log(JSON.stringify({ hash, throttled: !fast, runs, summary }, null, 2));
} else {
  console.log(`${hash}, ${fast ? 'not throttled' : 'Lighthouse mobile: 1.6 Mbps, 150 ms RTT, CPU 4× slower'}, ${runs} runs`);
  console.log('| build | ready (median) | range | transferred before ready | requests | ratio |');
  console.log('|---|---|---|---|---|---|');
  for (const s of summary) {
    const ratio = (s.ready_ms / summary[0].ready_ms).toFixed(2);
    console.log(`| ${s.dist} | ${(s.ready_ms / 1000).toFixed(2)} s | ${(s.range[0] / 1000).toFixed(2)}–${(s.range[1] / 1000).toFixed(2)} s | ${s.kb_before_ready.toFixed(1)} KB | ${s.requests} | ${ratio}× |`);
  }
}
