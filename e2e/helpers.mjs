// Shared helpers of the end-to-end tests: browser launch, the app's test hooks, real
// pointer strokes, and the native `dice eval -` for comparison.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where the built app is served (scripts/test sets it). */
export const BASE_URL = process.env.E2E_URL ?? 'http://127.0.0.1:8080/';

/** The page earlier versions opened on — two labelled images under MONAI's defaults — as
 * a link, for the tests written against it (the first page now poses the paper's question
 * on three images). `page::route`'s native test checks it opens exactly that scene. */
export const TWO_LABELLED = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'two-labelled.hash'), 'utf8').trim();
export const twoLabelledUrl = () => new URL(TWO_LABELLED, BASE_URL).href;
/** The native CLI the page's numbers are compared with. */
export const DICE_BIN = process.env.DICE_BIN ?? path.join(ROOT, 'target', 'release', 'dice');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts headless Chromium with a fresh profile. Returns { context, close }.
 * Debian's Chromium is used as is: `npx playwright install` cannot download here.
 */
export async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dice-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The browser a test file shares: launched before its first test, closed after its last.
 * Returns a handle whose `context` is set once the browser runs.
 */
export function sharedBrowser() {
  const shared = { context: null, close: async () => {} };
  before(async () => {
    Object.assign(shared, await launch());
  });
  after(async () => {
    await shared.close();
  });
  return shared;
}

/**
 * Starts a separate headless Chromium that emulates a phone (390×844, touch). Returns
 * { context, close }.
 */
export async function launchPhone() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  return { context, close: () => browser.close() };
}

/**
 * Opens a page of the app and records every console error and uncaught page error.
 * `problems` is checked by `assertNoProblems`.
 */
export async function openApp(context, url = BASE_URL) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url;
    problems.push(`console.error: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(url);
  await waitReady(page, problems);
  return { page, problems };
}

/**
 * Waits for `body[data-ready=true]` (the first frame is drawn). Fails at once, with the
 * page's message and errors, if the app shows its fatal banner (`body[data-error]`).
 */
export async function waitReady(page, problems = []) {
  let outcome;
  try {
    outcome = await page.waitForFunction(
      () =>
        document.body?.dataset.error === 'true'
          ? 'error'
          : document.body?.dataset.ready === 'true'
            ? 'ready'
            : false,
      null,
      { timeout: 30_000 },
    );
    outcome = await outcome.jsonValue();
  } catch (e) {
    outcome = `not ready after 30 s (${e.message.split('\n')[0]})`;
  }
  if (outcome === 'ready') return;
  const banner = await page
    .evaluate(() => document.getElementById('fatal')?.textContent ?? '')
    .catch(() => '');
  assert.fail(
    `the app did not start: ${outcome}${banner ? `\nbanner: ${banner}` : ''}` +
      (problems.length ? `\nerrors:\n  ${problems.join('\n  ')}` : ''),
  );
}

export function assertNoProblems(problems) {
  assert.deepEqual(problems, [], 'the page logged errors');
}

/** The loss the page shows: a number, or null when it reads "undefined". */
export async function shownLoss(page) {
  const raw = await page.getAttribute('#loss-value', 'data-value');
  assert.ok(raw !== null, '#loss-value has no data-value');
  if (raw === 'undefined') return null;
  const v = Number(raw);
  assert.ok(Number.isFinite(v), `#loss-value data-value is ${JSON.stringify(raw)}`);
  return v;
}

/** Waits until the shown loss differs from `previous` and returns it. */
export async function waitLossChange(page, previous, what = 'the action') {
  const prevRaw = previous === null ? 'undefined' : String(previous);
  try {
    await page.waitForFunction(
      (prev) => document.querySelector('#loss-value')?.dataset.value !== prev,
      prevRaw,
      { timeout: 5_000 },
    );
  } catch {
    assert.fail(`the loss (${prevRaw}) did not change after ${what}`);
  }
  return shownLoss(page);
}

/** Lets the app handle pending events and draw (two animation frames). */
export async function settle(page) {
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))),
  );
}

/** `window.diceDebug.cliInput()` as an object. */
export async function cliInput(page) {
  const v = await page.evaluate(() => window.diceDebug.cliInput());
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** Runs the native `dice eval -` on an input object and returns its output object. */
export function nativeEval(input) {
  const r = spawnSync(DICE_BIN, ['eval', '-'], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new Error(`cannot run ${DICE_BIN}: ${r.error.message}`);
  assert.equal(r.status, 0, `dice eval - failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Asserts |a − b| ≤ rel·max(|a|, |b|) (or both null: an undefined loss). */
export function assertClose(actual, expected, rel, what) {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, `${what}: ${actual} vs native ${expected}`);
    return;
  }
  const scale = Math.max(Math.abs(actual), Math.abs(expected));
  assert.ok(
    Math.abs(actual - expected) <= rel * scale,
    `${what}: page ${actual} vs native ${expected} (relative tolerance ${rel})`,
  );
}

/** Checks that the shown loss equals the native engine's loss for cliInput(). */
export async function assertLossMatchesNative(page, what) {
  await settle(page);
  const input = await cliInput(page);
  const native = nativeEval(input);
  const shown = await shownLoss(page);
  assertClose(shown, native.loss, 1e-12, what);
  return { input, native, shown };
}

/** Flat index of pixel (b, c, i, j) in a B×C×H×W row-major tensor. */
export function flatIndex(shape, b, c, i, j) {
  const [, C, H, W] = shape;
  return ((b * C + c) * H + i) * W + j;
}

/** The canvas of a view and its size in tensor pixels (canvas width/height attributes). */
export async function viewGeometry(page, testid) {
  const loc = page.locator(`[data-testid="${testid}"]`);
  await loc.scrollIntoViewIfNeeded();
  const box = await loc.boundingBox();
  assert.ok(box && box.width > 0 && box.height > 0, `${testid} is not visible`);
  const { w, h } = await loc.evaluate((el) => ({ w: el.width, h: el.height }));
  return { loc, box, w, h };
}

/** Page coordinates of the centre of pixel (i, j) of a view. */
export function pixelCentre(geom, i, j) {
  return {
    x: geom.box.x + ((j + 0.5) * geom.box.width) / geom.w,
    y: geom.box.y + ((i + 0.5) * geom.box.height) / geom.h,
  };
}

/**
 * Paints a stroke with real pointer events through the pixel centres `pixels`
 * ([i, j] pairs), moving in several intermediate steps between them.
 */
export async function stroke(page, testid, pixels, { steps = 4 } = {}) {
  const geom = await viewGeometry(page, testid);
  const pts = pixels.map(([i, j]) => pixelCentre(geom, i, j));
  await page.mouse.move(pts[0].x, pts[0].y);
  await page.mouse.down();
  for (const p of pts.slice(1)) {
    await page.mouse.move(p.x, p.y, { steps });
  }
  await page.mouse.up();
  await settle(page);
  return geom;
}

/**
 * Types ε into `#eps` key by key at machine speed (no delay between keys) and presses
 * Enter. The app must never rewrite a field while it has focus, so a half-typed "1e" is
 * left alone even when a frame runs between two keys.
 */
export async function typeEps(page, text, selector = '#eps') {
  const field = page.locator(selector);
  await field.click();
  await field.fill('');
  await field.pressSequentially(text);
  await field.press('Enter');
  await settle(page);
}

/**
 * The shown cells' views, badges, reasons and training result lines that are not inside
 * a W×H viewport. `scrolls`: the layout scrolls down (a phone's page, a narrow
 * presentation), so each cell must be within the width, no taller than the screen (it
 * fits one screen once scrolled to) and within reach of a scroll (not cut by a box that
 * does not scroll) rather than on the first screen. Returns
 * { bad, cells, badges, scrolled }.
 */
export async function cellsOffScreen(page, W, H, { scrolls = false } = {}) {
  await settle(page);
  return page.evaluate(
    ([W, H, scrolls]) => {
      const bad = [];
      let cells = 0;
      let badges = 0;
      // How far down the page, or its main area where that scrolls on its own, can go.
      const main = document.getElementById('main');
      const scroller = main && /auto|scroll/.test(getComputedStyle(main).overflowY) ? main.scrollHeight - main.clientHeight : 0;
      const reach = H + Math.max(document.documentElement.scrollHeight - innerHeight, scroller, 0);
      const at = (b) => `${Math.round(b.left)},${Math.round(b.top)}–${Math.round(b.right)},${Math.round(b.bottom)}`;
      for (const cell of document.querySelectorAll('#grid .cell')) {
        if (cell.hidden || cell.offsetParent === null) continue;
        cells++;
        const parts = cell.querySelectorAll('canvas:not(.overlay), .verdict, .verdict-why, .train-result');
        let top = Infinity;
        let bottom = -Infinity;
        for (const el of parts) {
          // A and B trained side by side in presentation leave the reasons to the badges'
          // tooltips (not drawn at all, so not off-screen either); a result line waits
          // for a run.
          if (getComputedStyle(el).display === 'none' || el.hidden) continue;
          // B's prediction view is drawn only while B trains a model of its own.
          if (el.closest('[hidden]')) continue;
          const b = el.getBoundingClientRect();
          const name = el.dataset.testid ?? el.className;
          if (b.width === 0 || b.height === 0) {
            // An empty result line (a cell the run does not report on) has no box.
            if (!el.classList.contains('train-result')) bad.push(`${cell.dataset.cell} ${name} has no size`);
            continue;
          }
          if (el.classList.contains('verdict')) badges++;
          top = Math.min(top, b.top);
          bottom = Math.max(bottom, b.bottom);
          const outX = b.left < -0.5 || b.right > W + 0.5;
          const outY = scrolls ? b.bottom > reach + 0.5 : b.top < -0.5 || b.bottom > H + 0.5;
          if (outX || outY) bad.push(`${cell.dataset.cell} ${name} at ${at(b)}`);
        }
        if (scrolls && bottom - top > H + 0.5) bad.push(`${cell.dataset.cell} is ${Math.round(bottom - top)} px tall`);
      }
      return { bad, cells, badges, scrolled: window.scrollY + (main?.scrollTop ?? 0) };
    },
    [W, H, scrolls],
  );
}

/**
 * Every shown cell's views, badge, reason and result line, fully inside a W×H viewport,
 * with nothing scrolled. Returns the number of cells checked.
 */
export async function assertCellsOnScreen(page, W, H, what) {
  const r = await cellsOffScreen(page, W, H);
  assert.equal(r.scrolled, 0, `${what}: nothing is scrolled`);
  assert.ok(r.cells > 0, `${what}: cells are shown`);
  assert.deepEqual(r.bad, [], `${what}: every cell, badge and reason is on the ${W}×${H} screen`);
  return r.cells;
}

/** The view size the grid chose (CSS px): `#grid[data-view]`. */
export const viewSize = (page) => page.evaluate(() => Number(document.getElementById('grid').dataset.view));

/**
 * Waits until the grid's view size (`data-view`) and the viewport have stayed the same for
 * three checks in a row (the layout plan re-fits the grid on a resize in a later frame).
 */
export async function waitLayoutSettled(page) {
  let last = '';
  for (let same = 0, k = 0; same < 3 && k < 60; k++) {
    await settle(page);
    await page.waitForTimeout(60);
    const now = await page.evaluate(() => `${document.getElementById('grid')?.dataset.view} ${innerWidth}×${innerHeight}`);
    same = now === last ? same + 1 : 0;
    last = now;
  }
}

/** The lessons, in the order of their buttons, with their number of images. */
export const LESSON_BATCH = {
  'missing-I': 2, 'missing-BI': 2, 'empty-I': 2, 'empty-BI': 2, 'heuristic-eps': 3,
  'zero-over-zero': 2, 'zero-over-zero-eps': 2, 'zero-over-zero-dr': 2, 'missing-bg': 2,
  marginal: 3, leaf: 3, 'leaf-bg': 3, 'two-readings': 3,
};
/** The lessons that open in compare mode (a second setting B in its own column). */
export const COMPARE_LESSONS = new Set(['missing-I', 'missing-BI', 'empty-I', 'empty-BI', 'heuristic-eps', 'two-readings']);
