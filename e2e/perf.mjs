// Timing harness (not part of the test run): paints with a real pointer move every display
// frame (1/60 s) and reports what a frame costs the browser's renderer main thread, not
// only the app's own JS/wasm.
//
//   node e2e/perf.mjs [URL ...] [--seconds S] [--runs N] [--size default|large] [--trace-dir DIR] [--json]
//
// URL defaults to $E2E_URL or http://127.0.0.1:8080/ (what scripts/serve serves). Several
// URLs (e.g. a build before and after a change) are measured side by side: run 1 of every
// URL, then run 2, …, so a busy machine slows them alike; the figures are the median over
// the runs with the range, and ratios to the first URL.
//
// For each size (the default page, and 8×4×128×128 set through the Size controls) it opens
// URL?perf, records a Chrome trace (devtools.timeline) and paints: first a short warm-up
// stroke (the page's first stroke at that size: cold code and buffers), then S seconds
// (half on a label view, half on a prediction view). From the trace of the measured strokes:
//   main/frame   renderer main-thread busy time (top-level tasks) per frame, a frame being
//                the time from one BeginMainThreadFrame to the next; p50 and p95;
//   breakdown    self time per frame of script (the app's JS and wasm, event dispatch),
//                style, layout, paint (pre-paint, paint, layerize, commit), HTML parsing;
//   moves/s      pointer moves sent per second, and pointermove events the page handled
//                per second (one event may carry several coalesced moves when it falls
//                behind);
//   longest      the longest main-thread task in the measured strokes, in the first
//                (warm-up) stroke, and in the second after a stroke ends (the plots);
// and the app's own figure (`window.__diceFrames`: compute = the engine, draw = the views).
// Exits 1 if a page logged errors.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS, openApp, cliInput, viewGeometry, pixelCentre, settle } from './helpers.mjs';

const args = process.argv.slice(2);
const flag = (name) => {
  const k = args.indexOf(name);
  if (k < 0) return undefined;
  const v = args[k + 1];
  args.splice(k, 2);
  return v;
};
const json = args.includes('--json');
if (json) args.splice(args.indexOf('--json'), 1);
const seconds = Number(flag('--seconds') ?? 3);
const runs = Number(flag('--runs') ?? 1);
const onlySize = flag('--size');
const traceDir = flag('--trace-dir');
const bases = args.length > 0 ? args : [process.env.E2E_URL ?? 'http://127.0.0.1:8080/'];

const SIZES = [
  { name: 'default 2×2×32×32', key: 'default', b: null, c: null, n: null },
  { name: '8×4×128×128', key: 'large', b: 8, c: 4, n: 128 },
].filter((s) => !onlySize || s.key === onlySize);

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'v8.execute',
];

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || NaN);
  return { n: s.length, mean, median: quantile(s, 0.5), p95: quantile(s, 0.95), max: s.at(-1) ?? NaN };
}

async function setSize(page, { b, c, n }) {
  if (b === null) return;
  // Each select applies B, C and H=W as they stand; set the image size first so the
  // intermediate pages stay small.
  for (const [id, v] of [
    ['size-n', n],
    ['size-c', c],
    ['size-b', b],
  ]) {
    await page.selectOption(`#${id}`, String(v));
    await settle(page);
  }
  await page.waitForFunction(
    ([b, c, n]) => {
      const s = JSON.parse(window.diceDebug.cliInput()).shape;
      return s[0] === b && s[1] === c && s[2] === n && s[3] === n;
    },
    [b, c, n],
    { timeout: 30_000 },
  );
}

const FRAME_MS = 1000 / 60;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Paints one continuous stroke on `testid` for `ms`, one pointer move per display frame,
 * sent through the DevTools protocol without waiting for the page to take it (a real
 * mouse does not wait either: a page that falls behind gets several moves coalesced into
 * one pointermove). Returns the moves sent.
 */
async function paint(page, cdp, testid, ms, phase = 0) {
  const geom = await viewGeometry(page, testid);
  const at = (t) => {
    // A Lissajous curve over the middle of the view, so every move covers new pixels.
    const i = (0.5 + 0.4 * Math.sin(2 * Math.PI * t * 0.7 + phase)) * geom.h - 0.5;
    const j = (0.5 + 0.4 * Math.sin(2 * Math.PI * t * 1.1 + 1 + phase)) * geom.w - 0.5;
    return pixelCentre(geom, i, j);
  };
  const mouse = (type, { x, y }) =>
    cdp.send('Input.dispatchMouseEvent', {
      type,
      x,
      y,
      button: 'left',
      buttons: type === 'mouseReleased' ? 0 : 1,
      clickCount: type === 'mouseMoved' ? 0 : 1,
    });
  let p = at(0);
  await mouse('mouseMoved', p);
  await mouse('mousePressed', p);
  const sent = [];
  const start = performance.now();
  for (;;) {
    const now = performance.now() - start;
    if (now >= ms) break;
    p = at(now / 1000);
    sent.push(mouse('mouseMoved', p));
    await sleep(Math.max(0, sent.length * FRAME_MS - (performance.now() - start)));
  }
  await Promise.all(sent);
  await mouse('mouseReleased', p);
  return sent.length;
}

// What each trace event's self time counts as.
const KIND = {
  UpdateLayoutTree: 'style',
  RecalculateStyles: 'style',
  Layout: 'layout',
  PrePaint: 'paint',
  Paint: 'paint',
  PaintImage: 'paint',
  UpdateLayer: 'paint',
  Layerize: 'paint',
  Commit: 'paint',
  CompositeLayers: 'paint',
  ParseHTML: 'parse',
  FunctionCall: 'script',
  EventDispatch: 'script',
  FireAnimationFrame: 'script',
  TimerFire: 'script',
  RunMicrotasks: 'script',
  EvaluateScript: 'script',
  'v8.compile': 'script',
  'V8.BytecodeBudgetInterrupt': 'script',
  HitTest: 'layout',
  MinorGC: 'gc',
  MajorGC: 'gc',
};
const KINDS = ['script', 'style', 'layout', 'paint', 'parse', 'gc', 'other'];
const isTask = (e) => e.name === 'RunTask' && e.cat.includes('devtools.timeline');

/** The renderer main thread's events of the app's page. */
function mainThread(traceEvents) {
  const names = new Map();
  for (const e of traceEvents) {
    if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  }
  // The renderer that handled the pointer: the one with pointerdown events.
  const withInput = traceEvents.find(
    (e) => e.name === 'EventDispatch' && e.args?.data?.type === 'pointerdown',
  );
  if (!withInput) throw new Error('no pointerdown in the trace');
  const key = `${withInput.pid}:${withInput.tid}`;
  if (names.get(key) !== 'CrRendererMain') throw new Error(`input on thread ${names.get(key)}`);
  return traceEvents.filter((e) => `${e.pid}:${e.tid}` === key).sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
}

/** Self time (µs) of each complete event, by kind, for events inside [from, to). */
function selfTimes(events, from, to) {
  const out = Object.fromEntries(KINDS.map((k) => [k, 0]));
  const stack = [];
  const close = (upTo) => {
    while (stack.length && stack.at(-1).end <= upTo) {
      const s = stack.pop();
      out[s.kind] += Math.max(0, s.dur - s.children);
      if (stack.length) stack.at(-1).children += s.dur;
    }
  };
  for (const e of events) {
    if (e.ph !== 'X' || !(e.dur > 0) || e.ts < from || e.ts >= to) continue;
    close(e.ts);
    // Top-level tasks and the scheduler's wrappers count as "other" only for their own time.
    const kind = KIND[e.name] ?? (stack.length ? stack.at(-1).kind : 'other');
    stack.push({ kind, dur: e.dur, end: e.ts + e.dur, children: 0 });
  }
  close(Infinity);
  return out;
}

/** Figures of one trace: the measured strokes, the warm-up stroke, the time after strokes. */
function analyse(traceEvents, sentMoves) {
  const ev = mainThread(traceEvents);
  const downs = ev.filter((e) => e.name === 'EventDispatch' && e.args.data.type === 'pointerdown');
  const ups = ev.filter((e) => e.name === 'EventDispatch' && e.args.data.type === 'pointerup');
  if (downs.length < 2 || ups.length !== downs.length) {
    throw new Error(`strokes in the trace: ${downs.length} down, ${ups.length} up`);
  }
  const strokes = downs.map((d, k) => [d.ts, ups[k].ts + ups[k].dur]);
  const tasks = ev.filter((e) => e.ph === 'X' && isTask(e));
  const inside = (t, [a, b]) => t >= a && t < b;
  const longest = (wins) =>
    Math.max(0, ...tasks.filter((t) => wins.some((w) => inside(t.ts, w))).map((t) => t.dur / 1000));
  const measured = strokes.slice(1);
  const frames = [];
  let parses = 0;
  let parseMs = 0;
  let handled = 0;
  let seconds = 0;
  const self = Object.fromEntries(KINDS.map((k) => [k, 0]));
  for (const w of measured) {
    seconds += (w[1] - w[0]) / 1e6;
    const begins = ev.filter((e) => e.name === 'BeginMainThreadFrame' && inside(e.ts, w)).map((e) => e.ts);
    for (let k = 0; k + 1 < begins.length; k++) {
      const busy = tasks
        .filter((t) => t.ts >= begins[k] && t.ts < begins[k + 1])
        .reduce((s, t) => s + t.dur, 0);
      frames.push(busy / 1000);
    }
    const st = selfTimes(ev, begins[0] ?? w[0], begins.at(-1) ?? w[1]);
    for (const k of KINDS) self[k] += st[k];
    handled += ev.filter((e) => e.name === 'EventDispatch' && e.args.data.type === 'pointermove' && inside(e.ts, w)).length;
    for (const p of ev.filter((e) => e.name === 'ParseHTML' && inside(e.ts, w))) {
      parses++;
      parseMs += (p.dur ?? 0) / 1000;
    }
  }
  const nFrames = Math.max(1, frames.length);
  const breakdown = Object.fromEntries(KINDS.map((k) => [k, self[k] / 1000 / nFrames]));
  const after = strokes.map(([, end]) => [end, end + 1e6]);
  return {
    main: stats(frames),
    breakdown,
    parses,
    parseMs,
    sentPerSecond: sentMoves / seconds,
    handledPerSecond: handled / seconds,
    longest: longest(measured),
    longestFirst: longest(strokes.slice(0, 1)),
    longestAfter: longest(after),
  };
}

async function measure(browser, base, size) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  try {
    const url = new URL(base);
    url.search = 'perf';
    const { page, problems } = await openApp(context, url.href);
    await setSize(page, size);
    const shape = (await cliInput(page)).shape;
    const b = shape[0] - 1;
    const c = shape[1] - 1;
    await settle(page);
    await sleep(300);
    const cdp = await context.newCDPSession(page);
    await browser.startTracing(page, { categories: CATEGORIES });
    // The warm-up stroke: the first stroke of the page at this size.
    await paint(page, cdp, `pred-${b}-${c}`, 500, 2);
    await settle(page);
    await sleep(600);
    await page.evaluate(() => {
      window.__diceFrames.length = 0;
    });
    const half = (seconds * 1000) / 2;
    const moves =
      (await paint(page, cdp, `label-${b}-${c}`, half)) + (await paint(page, cdp, `pred-${b}-${c}`, half));
    await settle(page);
    await sleep(1100);
    const frames = await page.evaluate(() => window.__diceFrames.slice());
    const raw = await browser.stopTracing();
    if (traceDir) {
      // For the DevTools Performance panel (Load profile…).
      fs.mkdirSync(traceDir, { recursive: true });
      const name = `${new URL(base).port || 'page'}-${size.key}-${Date.now()}.json`;
      fs.writeFileSync(path.join(traceDir, name), raw);
    }
    const trace = JSON.parse(raw.toString());
    await page.close();
    return {
      shape,
      moves,
      ...analyse(trace.traceEvents, moves),
      app: stats(frames.map((f) => f.compute + f.draw)),
      compute: stats(frames.map((f) => f.compute)),
      problems,
    };
  } finally {
    await context.close();
  }
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
// results[base][size] = list of runs
const results = bases.map(() => SIZES.map(() => []));
try {
  for (let r = 0; r < runs; r++) {
    for (const [k, base] of bases.entries()) {
      for (const [s, size] of SIZES.entries()) results[k][s].push(await measure(browser, base, size));
    }
  }
} finally {
  await browser.close();
}

// One figure of one run, by name.
const FIGURES = [
  ['main/frame p50', (r) => r.main.median],
  ['main/frame p95', (r) => r.main.p95],
  ['main/frame mean', (r) => r.main.mean],
  ...KINDS.map((k) => [`  ${k}`, (r) => r.breakdown[k]]),
  ['HTML parses', (r) => r.parses],
  ['moves sent/s', (r) => r.sentPerSecond],
  ['moves handled/s', (r) => r.handledPerSecond],
  ['longest task', (r) => r.longest],
  ['  first stroke', (r) => r.longestFirst],
  ['  after a stroke', (r) => r.longestAfter],
  ['app compute p50', (r) => r.compute.median],
  ['app comp+draw p50', (r) => r.app.median],
  ['app comp+draw p95', (r) => r.app.p95],
];

const median = (xs) => quantile([...xs].sort((a, b) => a - b), 0.5);
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');

if (json) {
  console.log(JSON.stringify({ bases, seconds, runs, sizes: SIZES.map((s) => s.name), results }, null, 2));
} else {
  console.log(`${seconds} s of painting per size, ${runs} run(s) per URL; median [min–max] over runs (ms unless named)`);
  bases.forEach((b, k) => console.log(`  [${k}] ${b}`));
  for (const [s, size] of SIZES.entries()) {
    console.log(`\n${size.name}`);
    const head = bases.map((_, k) => `[${k}]`.padStart(22)).join('');
    console.log(`${'figure'.padEnd(20)}${head}${bases.length > 1 ? '   ratios to [0]' : ''}`);
    for (const [name, get] of FIGURES) {
      const cols = results.map((runsOf) => {
        const xs = runsOf[s].map(get);
        return { m: median(xs), lo: Math.min(...xs), hi: Math.max(...xs) };
      });
      const text = cols.map((c) => `${fmt(c.m)} [${fmt(c.lo)}–${fmt(c.hi)}]`.padStart(22)).join('');
      const ratios =
        bases.length > 1 ? '   ' + cols.slice(1).map((c) => (cols[0].m > 0 ? `${(c.m / cols[0].m).toFixed(2)}×` : '–')).join(' ') : '';
      console.log(`${name.padEnd(20)}${text}${ratios}`);
    }
  }
  for (const runsOf of results) for (const bySize of runsOf) for (const r of bySize) for (const p of r.problems) console.log(`  ! ${p}`);
}
if (results.flat(2).some((r) => r.problems.length > 0)) process.exitCode = 1;
