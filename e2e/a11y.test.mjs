// Accessibility. axe-core (from npm, injected into the page) finds no serious or
// critical violation on the default page, every lesson, presentation mode and the embed,
// in light and dark mode; pressed buttons stay told apart in forced colours; focus rings
// show.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { BASE_URL, sharedBrowser, openApp, assertNoProblems, waitReady, settle } from './helpers.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core');

const browser = sharedBrowser();

const url = (hash) => new URL(hash, BASE_URL).href;

/** The visible controls inside `roots` (selectors) with neither a visible nor a
 * programmatic name: aria-label, aria-labelledby, a <label>, or their own text. */
function unnamed(page, roots) {
  return page.evaluate((roots) => {
    const out = [];
    for (const root of roots.map((s) => document.querySelector(s))) {
      for (const el of root.querySelectorAll('button, input, select, [tabindex="0"], a[href]')) {
        if (el.closest('[hidden]') || el.offsetParent === null) continue;
        const labelled = el.getAttribute('aria-labelledby');
        const name =
          el.getAttribute('aria-label') ||
          (labelled && document.getElementById(labelled)?.textContent) ||
          (el.labels && [...el.labels].map((l) => l.textContent).join(' ')) ||
          el.textContent;
        if (!name || !name.trim()) out.push(el.id || el.outerHTML.slice(0, 80));
      }
    }
    return out;
  }, roots);
}

/** The compare bar, the train panel with plot (d), and the control panel. */
const CONTROL_ROOTS = ['#compare-bar', '#train-box', '#controls'];

const LESSONS = [
  'missing-I',
  'missing-BI',
  'empty-I',
  'empty-BI',
  'heuristic-eps',
  'zero-over-zero',
  'zero-over-zero-eps',
  'zero-over-zero-dr',
  'missing-bg',
  'marginal',
  'leaf',
  'leaf-bg',
  'two-readings',
];

/** The serious and critical axe violations of the page as it is now, in words. */
async function serious(page) {
  await settle(page);
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    // Evaluated through the devtools protocol: the page's strict CSP refuses an injected
    // <script> (addScriptTag), as it should.
    await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  }
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

for (const scheme of ['light', 'dark']) {
  test(`axe: no serious or critical violations on the default page and every lesson (${scheme})`, async () => {
    const { page, problems } = await openApp(browser.context);
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 1280, height: 720 });
    assert.deepEqual(await serious(page), [], 'the default page');
    for (const name of LESSONS) {
      await page.goto(url(`#preset=${name}`));
      await waitReady(page);
      assert.deepEqual(await serious(page), [], name);
    }
    assertNoProblems(problems);
    await page.close();
  });
}

test('axe: no serious or critical violations in presentation mode and in the embed', async () => {
  const { page, problems } = await openApp(browser.context);
  await page.setViewportSize({ width: 1280, height: 720 });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const name of LESSONS) {
      for (const mode of ['present', 'embed']) {
        await page.goto(url(`#preset=${name}&${mode}`));
        await page.reload();
        await waitReady(page);
        assert.deepEqual(await serious(page), [], `${name}&${mode} (${scheme})`);
      }
    }
  }
  // The embed's own states: the lesson text folded.
  await page.click('#lesson-close');
  await page.locator('[data-testid="embed-lesson"]').waitFor({ state: 'visible', timeout: 5_000 });
  assert.deepEqual(await serious(page), [], 'the embed with its lesson text folded');
  assertNoProblems(problems);
  await page.close();
});

test('every control has a name, canvases are described images, focus rings show', async () => {
  const { page, problems } = await openApp(browser.context);
  assert.deepEqual(await unnamed(page, ['body']), [], 'every control has a visible or programmatic name');
  const canvases = await page.$$eval('#grid canvas:not(.overlay)', (cs) =>
    cs.map((c) => ({ role: c.getAttribute('role'), label: c.getAttribute('aria-label') ?? '', tab: c.tabIndex })),
  );
  assert.ok(canvases.length >= 12);
  for (const c of canvases) {
    assert.equal(c.role, 'img');
    assert.ok(c.label.length > 20, `described: ${c.label}`);
    assert.equal(c.tab, 0, 'focusable for the keyboard cursor');
  }
  // A focus ring from the keyboard: a thick outline with a halo.
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow };
  });
  assert.ok(ring.outline !== 'none' && ring.width >= 2 && ring.shadow !== 'none', `a visible focus ring: ${JSON.stringify(ring)}`);
  assertNoProblems(problems);
  await page.close();
});

test('forced colours keep pressed buttons told apart; dark mode is dark', async () => {
  const { page, problems } = await openApp(browser.context);
  await page.emulateMedia({ forcedColors: 'active' });
  await settle(page);
  const look = (sel) =>
    page.locator(sel).evaluate((e) => {
      const s = getComputedStyle(e);
      return `${s.backgroundColor} ${s.color} ${s.borderTopWidth}`;
    });
  // The panel's Φ buttons (compare mode's bar has its own, hidden here).
  const on = await look('#controls [data-phi="I"]');
  const off = await look('#controls [data-phi="BI"]');
  assert.notEqual(on, off, `the pressed Φ button looks different: ${on} vs ${off}`);
  await page.emulateMedia({ forcedColors: 'none', colorScheme: 'dark' });
  await settle(page);
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 150, `a dark background: ${bg}`);
  assertNoProblems(problems);
  await page.close();
});

test('axe: compare mode with B\'s controls, and the train panel with plot (d) mid-run (light and dark)', async () => {
  for (const scheme of ['light', 'dark']) {
    // A fresh page per scheme: the last one is still training, and its link writes would
    // race a new link typed over them.
    const { page, problems } = await openApp(browser.context, url('#preset=missing-I'));
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.emulateMedia({ colorScheme: scheme });
    assert.ok(await page.locator('[data-testid="compare"]').isVisible(), 'compare mode is open');
    assert.ok(await page.locator('#compare-eps').isVisible(), "B's controls are shown");
    assert.deepEqual(await serious(page), [], `compare mode (${scheme})`);
    assert.deepEqual(await unnamed(page, CONTROL_ROOTS), [], `compare mode: every control named (${scheme})`);
    // While training, the layout plan drops the input images' column at 1280×720 to keep
    // the views readable; at 1920×1080 they are shown, and axe checks them too.
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.click('[data-testid="lesson-train"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-count"]')?.dataset.step) >= 3);
    assert.ok(await page.locator('[data-testid="plot-train"]').isVisible(), 'plot (d) is shown');
    assert.ok(await page.locator('[data-testid="image-0-0"]').isVisible(), 'the input images are shown');
    assert.deepEqual(await serious(page), [], `training mid-run (${scheme})`);
    assert.deepEqual(await unnamed(page, CONTROL_ROOTS), [], `training: every control named (${scheme})`);
    const d = await page.$$eval('[data-testid="plot-train"], [data-testid^="image-"]', (cs) => cs.map((c) => [c.getAttribute('role'), c.getAttribute('aria-label') ?? '']));
    for (const [role, label] of d) {
      assert.equal(role, 'img');
      assert.ok(label.length > 20, `described: ${label}`);
    }
    assertNoProblems(problems);
    await page.close();
  }
});

test('keyboard: the first stops skip to the grid and the tour; only cursor steps are announced', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=empty-I'));
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'skip-grid', 'the first Tab stop');
  const shown = await page.locator('[data-testid="skip-grid"]').boundingBox();
  assert.ok(shown && shown.width > 40 && shown.height > 20, 'the skip link is drawn while focused');
  await page.keyboard.press('Enter');
  const view = await page.evaluate(() => document.activeElement?.dataset.testid ?? '');
  assert.match(view, /^(label|pred|image)-\d+-\d+$/, `Enter moves focus to a view of the grid: ${view}`);
  const say = page.locator('[data-testid="hover-say"]');
  assert.equal(await say.getAttribute('aria-live'), 'polite');
  assert.equal(await page.locator('#hover-info').getAttribute('aria-live'), null, 'the pointer read-out is not live');
  // Focus puts the cursor on the middle pixel, and says so; a step says the next one.
  await page.waitForFunction(() => /pixel/.test(document.querySelector('[data-testid="hover-say"]').textContent));
  const first = await say.textContent();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((s) => document.querySelector('[data-testid="hover-say"]').textContent !== s, first);
  const spoken = await say.textContent();
  assert.match(spoken, /pixel \(\d+, \d+\)/);
  // The pointer sweeping over another view changes the visible read-out, not the spoken one.
  const other = await page.locator('[data-testid="grad-0-1"]').boundingBox();
  await page.mouse.move(other.x + 3, other.y + 3);
  await page.mouse.move(other.x + other.width / 2, other.y + other.height / 2, { steps: 6 });
  await page.waitForFunction((s) => document.querySelector('#hover-info').textContent !== s, spoken);
  await settle(page);
  assert.equal(await say.textContent(), spoken, 'pointer moves are not announced');
  // From a fresh load, the second Tab stop starts the guided tour.
  await page.reload();
  await waitReady(page, problems);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'skip-tour', 'the second Tab stop');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="tour-step"]:not([hidden])');
  assertNoProblems(problems);
  await page.close();
});
