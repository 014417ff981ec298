// The screens matrix (issue 17, acceptance): every lesson once per mode (page,
// presentation, embed) at 1280×720, trained, compare on where the lesson opens with it;
// and heuristic-eps and marginal at every size once per mode, untrained and trained. On
// each screen every shown badge, its reason and its result line is inside the viewport
// (or, where the layout scrolls down, within its width and each cell within one screen),
// the views are at least the floors of docs/layout.md, the loss number stays inside its
// box, and nothing scrolls sideways.
// Training runs once per lesson and mode; the sizes are then walked by resizing the
// window (the embed's iframe), which the layout plan re-fits. SHOTS=dir saves a
// screenshot of every screen checked. About 3 minutes on two cores.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  BASE_URL,
  sharedBrowser,
  waitReady,
  cellsOffScreen,
  viewSize,
  waitLayoutSettled,
  LESSON_BATCH,
  COMPARE_LESSONS,
} from './helpers.mjs';

const browser = sharedBrowser();
const url = (hash) => new URL(hash, BASE_URL).href;
const SHOTS = process.env.SHOTS;

const SIZES = [
  [1920, 1080],
  [1280, 720],
  [1024, 768],
  [853, 480], // 1280×720 at 150% zoom
  [800, 600],
  [680, 600],
  [360, 600],
  [390, 844],
];
const MODES = ['page', 'present', 'embed'];
const SUFFIX = { page: '', present: '&present', embed: '&embed' };
// The lessons without an experiment of their own (0/0 has nothing to train).
const NO_RUN = new Set(['zero-over-zero', 'zero-over-zero-eps', 'zero-over-zero-dr']);

/** Whether the layout scrolls down on this screen (docs/layout.md, "Where the grid fits"). */
function scrolls(mode, W, H, state) {
  if (mode === 'page') return W <= 760 || (H > W && W <= 1024) || W < 1000 || H < 700;
  // Below 1024×720 presentation's rows in hall type do not fit: it scrolls down.
  if (mode === 'present') return W < 1024 || H < 720;
  // An embed's frame holds the whole picture, except in a frame under 600 px tall and,
  // after a run (a result line under every cell), under 680 px wide: there it scrolls
  // down inside the frame, a row per screen.
  return H < 600 || (state === 'trained' && W < 680);
}

/** The views' floor (docs/layout.md, "Floors"). */
function viewFloor(mode, W, H) {
  if (mode === 'page') return 56;
  if (mode === 'present') return W >= 1280 && H >= 720 ? 60 : 48;
  return W < 680 ? 40 : 44;
}

// Known failures, by "lesson mode size state", with the reason (test cases marked todo):
// none today.
const TODO = {};

/**
 * A screen of `mode` showing `hash` at W×H: the page itself, or (embed) an iframe of that
 * size in a blog page. Returns { page, target (the page or the frame), resize(W, H) }.
 */
async function openScreen(mode, hash, [W, H]) {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  if (mode !== 'embed') {
    await page.setViewportSize({ width: W, height: H });
    await page.goto(url(hash));
    await waitReady(page);
    await waitLayoutSettled(page);
    return {
      page,
      target: page,
      problems,
      async resize(w, h) {
        await page.setViewportSize({ width: w, height: h });
        await waitLayoutSettled(page);
      },
    };
  }
  await page.setViewportSize({ width: W + 40, height: H + 60 });
  await page.setContent(
    `<body style="margin:0"><p style="margin:0;height:30px">A blog post.</p><iframe id="f" src="${url(hash)}" width="${W}" height="${H}" style="border:0;display:block" title="embed"></iframe></body>`,
  );
  const frame = await (await page.$('#f')).contentFrame();
  await waitReady(frame);
  await waitLayoutSettled(frame);
  return {
    page,
    target: frame,
    problems,
    async resize(w, h) {
      await page.setViewportSize({ width: w + 40, height: h + 60 });
      await page.$eval('#f', (f, [w, h]) => { f.width = String(w); f.height = String(h); }, [w, h]);
      await waitLayoutSettled(frame);
    },
  };
}

/** Saves a screenshot of the screen (the iframe alone for an embed) when SHOTS is set. */
async function shot(s, mode, name) {
  if (!SHOTS) return;
  const file = path.join(SHOTS, `${name}.png`);
  if (mode === 'embed') await (await s.page.$('#f')).screenshot({ path: file });
  else await s.page.screenshot({ path: file });
}

/**
 * Presses "▶ Train it", waits for the result lines and pauses the run where a Pause button
 * is shown (presentation's Play/Pause, the page's train panel); the embed's run goes on.
 * Returns false for a lesson without an experiment (no "Train it").
 */
async function trainIt(s, name) {
  const t = s.target;
  const train = t.locator('[data-testid="lesson-train"]');
  if (NO_RUN.has(name)) {
    assert.ok(await train.isHidden(), `${name}: no "Train it" without an experiment`);
    return false;
  }
  assert.ok(await train.isVisible(), `${name}: "Train it" is shown`);
  await train.click();
  await t.waitForFunction(
    () => [...document.querySelectorAll('[data-testid^="train-result-"]')].some((e) => !e.hidden && e.textContent.trim() !== ''),
    null,
    { timeout: 20_000 },
  );
  const present = t.locator('[data-testid="present-play"]');
  const panel = t.locator('[data-testid="train-play"]');
  if ((await present.isVisible()) && /Pause/.test(await present.innerText())) await present.click();
  else if ((await panel.isVisible()) && (await panel.getAttribute('data-playing')) === 'true') await panel.click();
  await waitLayoutSettled(t);
  return true;
}

/**
 * The checks of one screen; returns the failures in words (empty: the screen is right).
 * `compare`: B's cells must be shown.
 */
async function checkScreen(s, mode, [W, H], { compare, state }) {
  const t = s.target;
  const bad = [];
  const down = scrolls(mode, W, H, state);
  const r = await cellsOffScreen(t, W, H, { scrolls: down });
  if (!down && r.scrolled !== 0) bad.push(`scrolled by ${r.scrolled} px`);
  if (r.cells === 0 || r.badges === 0) bad.push(`${r.cells} cells, ${r.badges} badges shown`);
  bad.push(...r.bad);
  const view = await viewSize(t);
  const floor = viewFloor(mode, W, H);
  if (!(view >= floor)) bad.push(`views of ${view} px < ${floor}`);
  // The loss number never overflows its box (nor the screen).
  const lossOver = await t.evaluate(() => {
    const e = document.getElementById('loss-value');
    if (!e || e.offsetParent === null) return 0;
    const r = e.getBoundingClientRect();
    const box = (e.closest('.loss-box') ?? e.parentElement).getBoundingClientRect();
    return Math.max(e.scrollWidth - e.clientWidth, r.right - box.right, r.right - innerWidth);
  });
  if (lossOver > 1) bad.push(`the loss number overflows its box by ${Math.round(lossOver)} px`);
  const wide = await t.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  if (wide > 0.5) bad.push(`a sideways scroll of ${wide} px`);
  if (compare) {
    const b = await t.$$eval('[data-testid^="compare-verdict-"]', (els) => els.filter((e) => e.offsetParent !== null).length);
    if (b === 0) bad.push("no B badge is shown (compare mode lost)");
  }
  return bad;
}

/**
 * Where "▶ Train it" is not whole on the screen (or within reach where the screen scrolls
 * down): cut by a box around it that clips (a scroll box), or outside the viewport.
 * Returns the failures in words.
 */
async function trainItCut(t, W, H, down) {
  return t.evaluate(
    ([W, H, down]) => {
      const el = document.querySelector('[data-testid="lesson-train"]');
      if (!el || el.hidden || el.offsetParent === null) return ['"Train it" is not shown'];
      const b = el.getBoundingClientRect();
      const at = (r) => `${Math.round(r.left)},${Math.round(r.top)}–${Math.round(r.right)},${Math.round(r.bottom)}`;
      const bad = [];
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const st = getComputedStyle(p);
        if (st.display === 'contents' || (st.overflowX === 'visible' && st.overflowY === 'visible')) continue;
        // #main scrolls the whole work area where the screen scrolls down.
        if (down && p.id === 'main') continue;
        const r = p.getBoundingClientRect();
        if (b.left < r.left - 0.5 || b.top < r.top - 0.5 || b.right > r.right + 0.5 || b.bottom > r.bottom + 0.5) {
          bad.push(`"Train it" at ${at(b)} is cut by ${p.id || p.className} at ${at(r)}`);
        }
      }
      if (!down && (b.left < -0.5 || b.top < -0.5 || b.right > W + 0.5 || b.bottom > H + 0.5)) bad.push(`"Train it" at ${at(b)} is off the screen`);
      if (b.right > W + 0.5) bad.push(`"Train it" at ${at(b)} is off to the right`);
      return bad;
    },
    [W, H, down],
  );
}

/** Runs one screen's checks as a subtest (todo where TODO says so). */
async function screenCase(t, s, name, mode, size, state, opts) {
  const key = `${name} ${mode} ${size[0]}×${size[1]} ${state}`;
  await t.test(key, { todo: TODO[key] }, async () => {
    const bad = await checkScreen(s, mode, size, { ...opts, state });
    if (bad.length) await shot(s, mode, `fail-${key.replaceAll(' ', '_')}`);
    else await shot(s, mode, key.replaceAll(' ', '_'));
    assert.deepEqual(bad, [], `${key}: every badge, reason and result line on screen, views ≥ floor, no sideways scroll`);
  });
  // "▶ Train it" stays visible in every mode and size (before a run).
  if (state !== 'untrained' || NO_RUN.has(name)) return;
  const train = `${name} ${mode} ${size[0]}×${size[1]} train-it`;
  await t.test(train, { todo: TODO[train] }, async () => {
    assert.deepEqual(await trainItCut(s.target, ...size, scrolls(mode, ...size, state)), [], `${train}: "Train it" whole on the screen`);
  });
}

// (a) Every lesson in each mode at 1280×720, trained.
for (const mode of MODES) {
  test(`every lesson trained at 1280×720 in ${mode} mode: badges, reasons and result lines on screen`, async (t) => {
    const size = [1280, 720];
    for (const name of Object.keys(LESSON_BATCH)) {
      const s = await openScreen(mode, `#preset=${name}${SUFFIX[mode]}`, size);
      // "▶ Train it" is on screen before the run (presentation's side column included).
      if (!NO_RUN.has(name)) {
        const key = `${name} ${mode} 1280×720 train-it`;
        await t.test(key, { todo: TODO[key] }, async () => {
          const b = await s.target.locator('[data-testid="lesson-train"]').boundingBox();
          assert.ok(b && b.x >= 0 && b.y >= 0 && b.x + b.width <= 1280 && b.y + b.height <= 720, `${key}: "Train it" inside the screen (${JSON.stringify(b)})`);
        });
      }
      const ran = await trainIt(s, name);
      await screenCase(t, s, name, mode, size, ran ? 'trained' : 'untrained', { compare: COMPARE_LESSONS.has(name) });
      assert.deepEqual(s.problems, [], `${name} ${mode}: no page errors`);
      await s.page.close();
    }
  });
}

// (b) heuristic-eps and marginal at every size in each mode, untrained and trained.
for (const name of ['heuristic-eps', 'marginal']) {
  for (const mode of MODES) {
    test(`${name} in ${mode} mode at every size, untrained and trained`, async (t) => {
      const s = await openScreen(mode, `#preset=${name}${SUFFIX[mode]}`, SIZES[0]);
      const compare = COMPARE_LESSONS.has(name);
      for (const size of SIZES) {
        await s.resize(...size);
        await screenCase(t, s, name, mode, size, 'untrained', { compare });
      }
      // Train at the first size, then walk the sizes again.
      await s.resize(...SIZES[1]);
      assert.ok(await trainIt(s, name));
      for (const size of SIZES) {
        await s.resize(...size);
        await screenCase(t, s, name, mode, size, 'trained', { compare });
      }
      assert.deepEqual(s.problems, [], `${name} ${mode}: no page errors`);
      await s.page.close();
    });
  }
}
