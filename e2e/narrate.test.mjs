// Training narrated in the hall (issue 17, items 2–3), at 1280×720 in presentation mode:
// the Play/Pause button and the "step N" counter, compare mode kept while training (B
// trains its own model beside A's), the lesson's takeaway in hall type, the background
// column of missing-bg, and every badge of the trained scene on screen.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, sharedBrowser, waitReady, settle } from './helpers.mjs';

const browser = sharedBrowser();
const url = (hash) => new URL(hash, BASE_URL).href;
const W = 1280;
const H = 720;

/** Every shown cell's views, badges and reasons (A's and B's) inside the W×H viewport. */
async function offScreen(page) {
  await settle(page);
  return page.evaluate(
    ([W, H]) => {
      const bad = [];
      for (const cell of document.querySelectorAll('#grid .cell')) {
        if (cell.hidden || cell.offsetParent === null) continue;
        for (const el of cell.querySelectorAll('canvas:not(.overlay), .verdict, .verdict-why, .train-result')) {
          if (el.closest('[hidden]')) continue;
          const b = el.getBoundingClientRect();
          if (b.width === 0 || b.height === 0) continue;
          if (b.left < -0.5 || b.top < -0.5 || b.right > W + 0.5 || b.bottom > H + 0.5) {
            bad.push(`${el.dataset.testid ?? el.className} at ${Math.round(b.left)},${Math.round(b.top)}–${Math.round(b.right)},${Math.round(b.bottom)}`);
          }
        }
      }
      return bad;
    },
    [W, H],
  );
}

const stepOf = async (page) => {
  const t = await page.innerText('[data-testid="present-step"]');
  const m = /^step (\d+)/.exec(t.trim());
  assert.ok(m, `the counter reads "step N": ${t}`);
  return Number(m[1]);
};

const playWords = (page) =>
  page.$eval('[data-testid="present-play"]', (b) => `${b.textContent} ${b.getAttribute('aria-label') ?? ''}`);

test('presentation: Play trains with a step counter, Pause stops it; compare mode keeps B, which trains its own model', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: W, height: H });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url('#preset=missing-I&present'));
  await waitReady(page);
  // The takeaway, large, on screen; A labelled like B.
  const take = page.locator('[data-testid="lesson-takeaway"]');
  assert.ok(await take.isVisible(), 'the takeaway is shown');
  assert.match(await take.innerText(), /missing label alone/);
  const box = await take.boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= H, `the takeaway is on screen (${JSON.stringify(box)})`);
  const px = await take.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(px >= 28, `the takeaway is in hall type: ${px} px`);
  const heads = await page.$$eval('.col-head:not([hidden]) .class-name', (els) => els.map((e) => e.textContent));
  assert.ok(heads.includes('A · class 1') && heads.includes('B · class 1'), `A and B are labelled: ${heads}`);
  // "Train it" is still there; the play button says Play; nothing trained yet.
  assert.ok(await page.locator('[data-testid="lesson-train"]').isVisible(), 'Train it stays visible');
  assert.ok(await page.locator('[data-testid="present-play"]').isVisible());
  assert.match(await playWords(page), /Play/);
  assert.equal(await stepOf(page), 0);
  // Play: the counter advances and the button says Pause.
  await page.click('[data-testid="present-play"]');
  await page.waitForFunction(() => /^step [1-9]/.test(document.querySelector('[data-testid="present-step"]').textContent));
  assert.match(await playWords(page), /Pause/);
  const a = await stepOf(page);
  await page.waitForTimeout(600);
  const b = await stepOf(page);
  assert.ok(b > a, `the counter advances: ${a} → ${b}`);
  // At the presentation's pace: 300 steps take 20–30 s, so 0.6 s is far fewer than 60.
  assert.ok(b - a <= 20, `a pace to talk over: ${b - a} steps in 0.6 s`);
  // Pause: the counter stops.
  await page.click('[data-testid="present-play"]');
  await page.waitForFunction(() => /Play/.test(document.querySelector('[data-testid="present-play"]').textContent));
  const paused = await stepOf(page);
  await page.waitForTimeout(500);
  assert.equal(await stepOf(page), paused, 'paused: the counter stays');
  // Space on the focused button plays again; ← / → still walk the lessons.
  await page.focus('[data-testid="present-play"]');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => /Pause/.test(document.querySelector('[data-testid="present-play"]').textContent));
  await page.keyboard.press('Space');
  await page.waitForFunction(() => /Play/.test(document.querySelector('[data-testid="present-play"]').textContent));
  // Compare mode kept: B's column, with B's own prediction and result line.
  assert.ok(await page.locator('[data-testid="compare"]').isVisible(), 'the compare bar stays');
  assert.ok(await page.locator('[data-testid="compare-verdict-2-1"]').isVisible(), "B's taught cell stays");
  assert.ok(await page.locator('[data-testid="compare-pred-2-1"]').isVisible(), "B's own prediction is shown");
  assert.match(await page.innerText('[data-testid="compare-train-result-2-1"]'), /mean ỹ on the unannotated structure/);
  assert.ok(await page.locator('[data-testid="image-0-0"]').isHidden(), 'no input images in presentation');
  assert.deepEqual(await offScreen(page), [], 'every badge, reason and view of the trained scene is on screen');
  const view = Number(await page.$eval('#grid', (g) => g.dataset.view));
  assert.ok(view >= 60, `views of at least 60 px: ${view}`);
  assert.equal(await page.evaluate(() => window.scrollY + document.getElementById('main').scrollTop), 0);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => location.hash.startsWith('#preset=missing-BI'));
  assert.deepEqual(problems, []);
  await page.close();
});

test('presentation: missing-bg shows the background column and its takeaway', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: W, height: H });
  await page.goto(url('#preset=missing-bg&present'));
  await waitReady(page);
  const shown = await page.$$eval('#grid .cell:not([hidden])', (els) => [...new Set(els.map((e) => e.dataset.class))]);
  assert.deepEqual(shown.sort(), ['0', '1'], 'the background column is presented');
  assert.match(await page.innerText('[data-testid="lesson-takeaway"]'), /background/);
  assert.deepEqual(await offScreen(page), []);
  await page.close();
});
