// Timing harness (not part of the test run): paints for a few seconds with a real pointer
// move every display frame (1/60 s) and prints how long the app's frames take.
//
//   node e2e/perf.mjs [URL] [--seconds S] [--json]
//
// URL defaults to $E2E_URL or http://127.0.0.1:8080/ (what scripts/serve serves). For each
// size (the default page, 2×2×32×32, and 8×4×128×128, set through the Size controls) it
// opens URL?perf, paints half the time on a label view and half on a prediction view,
// then reads `window.__diceFrames` (the app's {compute, draw} milliseconds per frame) and
// the intervals between animation frames, and prints their median and 95th percentile.
// A move is sent when the previous one has been handled, so on a busy page fewer moves
// than frames get through; the count is printed. Exits 1 if the page logged errors.

import { launch, openApp, cliInput, viewGeometry, pixelCentre, settle } from './helpers.mjs';

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
const base = args[0] ?? process.env.E2E_URL ?? 'http://127.0.0.1:8080/';

const SIZES = [
  { name: 'default 2×2×32×32', b: null, c: null, n: null },
  { name: '8×4×128×128', b: 8, c: 4, n: 128 },
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
  return { n: s.length, median: quantile(s, 0.5), p95: quantile(s, 0.95), max: s.at(-1) ?? NaN };
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
 * Paints one continuous stroke on `testid` for `ms`, one pointer move per display frame
 * (paced by the clock: waiting for an animation frame after each move would add a round
 * trip to the browser and give only one move every other frame).
 */
async function paint(page, testid, ms) {
  const geom = await viewGeometry(page, testid);
  const at = (t) => {
    // A Lissajous curve over the middle of the view, so every move covers new pixels.
    const i = (0.5 + 0.4 * Math.sin(2 * Math.PI * t * 0.7)) * geom.h - 0.5;
    const j = (0.5 + 0.4 * Math.sin(2 * Math.PI * t * 1.1 + 1)) * geom.w - 0.5;
    return pixelCentre(geom, i, j);
  };
  let p = at(0);
  await page.mouse.move(p.x, p.y);
  await page.mouse.down();
  const start = performance.now();
  let moves = 0;
  for (;;) {
    const now = performance.now() - start;
    if (now >= ms) break;
    p = at(now / 1000);
    await page.mouse.move(p.x, p.y);
    moves++;
    await sleep(Math.max(0, moves * FRAME_MS - (performance.now() - start)));
  }
  await page.mouse.up();
  return moves;
}

async function measure(context, size) {
  const url = new URL(base);
  url.search = 'perf';
  const { page, problems } = await openApp(context, url.href);
  await setSize(page, size);
  const shape = (await cliInput(page)).shape;
  const b = shape[0] - 1;
  const c = shape[1] - 1;
  // Start recording: the app's frame log and every animation frame's timestamp.
  await page.evaluate(() => {
    window.__diceFrames.length = 0;
    window.__perfTicks = [];
    window.__perfOn = true;
    const tick = (t) => {
      if (!window.__perfOn) return;
      window.__perfTicks.push(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const half = (seconds * 1000) / 2;
  const moves = (await paint(page, `label-${b}-${c}`, half)) + (await paint(page, `pred-${b}-${c}`, half));
  await settle(page);
  const { frames, ticks } = await page.evaluate(() => {
    window.__perfOn = false;
    return { frames: window.__diceFrames.slice(), ticks: window.__perfTicks.slice() };
  });
  await page.close();
  const intervals = ticks.slice(1).map((t, k) => t - ticks[k]);
  return {
    size: size.name,
    shape,
    moves,
    total: stats(frames.map((f) => f.compute + f.draw)),
    compute: stats(frames.map((f) => f.compute)),
    draw: stats(frames.map((f) => f.draw)),
    interval: stats(intervals),
    problems,
  };
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2).padStart(8) : '       –');

const browser = await launch();
const results = [];
try {
  for (const size of SIZES) results.push(await measure(browser.context, size));
} finally {
  await browser.close();
}

if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  console.log(`${base}?perf, ${seconds} s of painting per size (milliseconds)\n`);
  console.log('size                 what              frames    median       p95       max');
  for (const r of results) {
    for (const [what, s] of [
      ['compute+draw', r.total],
      ['  compute', r.compute],
      ['  draw', r.draw],
      ['frame interval', r.interval],
    ]) {
      console.log(
        `${r.size.padEnd(20)} ${what.padEnd(16)} ${String(s.n).padStart(7)} ${fmt(s.median)}  ${fmt(s.p95)}  ${fmt(s.max)}`,
      );
    }
    console.log(`${''.padEnd(20)} (${r.moves} pointer moves)`);
    for (const p of r.problems) console.log(`  ! ${p}`);
  }
}
if (results.some((r) => r.problems.length > 0)) process.exitCode = 1;
