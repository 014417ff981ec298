// The lessons: every scenario opened by its link shows the verdicts docs/science.md
// §4 predicts; label status selects, the Φ picture, the formula, the plots, the guided tour
// and the framework code all work with real clicks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL,
  sharedBrowser,
  openApp,
  twoLabelledUrl,
  assertNoProblems,
  shownLoss,
  waitLossChange,
  cliInput,
  flatIndex,
  stroke,
  settle,
} from './helpers.mjs';

const browser = sharedBrowser();

// (b, c, verdict, correct) per scenario, in the order of the lesson buttons: the
// expectations of src/page/lessons/ (each scenario's `expected`).
const SCENARIOS = {
  'missing-I': [
    [0, 1, 'up', true],
    [1, 1, 'none', true],
  ],
  'missing-BI': [
    [0, 1, 'up', true],
    [1, 1, 'down', false],
  ],
  'empty-I': [
    [0, 1, 'up', true],
    [1, 1, 'none', false],
  ],
  'empty-BI': [
    [0, 1, 'up', true],
    [1, 1, 'down', true],
  ],
  'heuristic-eps': [
    [0, 1, 'up', true],
    [1, 1, 'down', false],
    [2, 1, 'down', true],
  ],
  'zero-over-zero': [[0, 1, 'up', true]],
  'zero-over-zero-eps': [
    [0, 1, 'up', true],
    [1, 1, 'down', true],
  ],
  'zero-over-zero-dr': [
    [0, 1, 'up', true],
    // No gradient, and nothing predicted: no push is right until a false positive is painted.
    [1, 1, 'none', true],
  ],
  'missing-bg': [
    [0, 1, 'up', true],
    [1, 1, 'down', false],
  ],
  marginal: [
    [0, 1, 'up', true],
    [1, 1, 'none', true],
    [2, 1, 'down', true],
  ],
  leaf: [
    [0, 1, 'up', true],
    [1, 1, 'none', true],
    [2, 1, 'none', false],
  ],
  'leaf-bg': [
    [0, 1, 'up', true],
    [1, 1, 'down', false],
    [2, 1, 'down', true],
  ],
  // The same structure read as missing and as empty: one push down, opposite verdicts.
  'two-readings': [
    [0, 1, 'up', true],
    [1, 1, 'down', false],
    [2, 1, 'down', true],
  ],
};
const ORDER = Object.keys(SCENARIOS);
// Lessons with the background in the loss (its cells then have a verdict too).
const BACKGROUND_IN = new Set(['missing-bg', 'marginal', 'leaf-bg']);

const url = (hash) => new URL(hash, BASE_URL).href;

/** The badge of cell (b, c): its data attributes and text. */
async function badge(page, b, c) {
  return page.locator(`[data-testid="verdict-${b}-${c}"]`).evaluate((el) => ({
    verdict: el.dataset.verdict ?? null,
    correct: el.dataset.correct ?? null,
    undefined: el.dataset.undefined ?? null,
    text: el.textContent,
    title: el.title,
  }));
}

/** Waits until cell (b, c)'s badge shows `verdict`. */
async function waitVerdict(page, b, c, verdict, what) {
  try {
    await page.waitForFunction(
      ([b, c, v]) => document.querySelector(`[data-testid="verdict-${b}-${c}"]`)?.dataset.verdict === v,
      [b, c, verdict],
      { timeout: 5_000 },
    );
  } catch {
    assert.fail(`verdict (${b},${c}) is ${JSON.stringify(await badge(page, b, c))}, not ${verdict}, after ${what}`);
  }
}

async function assertVerdicts(page, name) {
  for (const [b, c, verdict, correct] of SCENARIOS[name]) {
    const got = await badge(page, b, c);
    assert.equal(got.verdict, verdict, `${name}: verdict of (${b},${c}) — ${got.text}`);
    assert.equal(got.correct, String(correct), `${name}: correctness of (${b},${c}) — ${got.text}`);
    assert.match(got.text, correct ? /✓/ : /✗/, `${name}: (${b},${c}) shows ✓/✗`);
    assert.ok(got.title.length > 20, `${name}: (${b},${c}) has a tooltip sentence`);
  }
}

/** Cells (as "b-c") outlined as the shown set. */
async function outlined(page) {
  return page.$$eval('.cell.in-set', (els) => els.map((e) => e.dataset.cell).sort());
}

for (const name of ORDER) {
  test(`#preset=${name} shows the verdicts of the paper`, async () => {
    const { page, problems } = await openApp(browser.context, url(`#preset=${name}`));
    await assertVerdicts(page, name);
    // The lesson text is shown near the loss, and the link stays readable.
    const lesson = page.locator('[data-testid="lesson"]');
    assert.ok(await lesson.isVisible(), 'the lesson box is shown');
    assert.ok((await page.locator('[data-testid="lesson-text"]').innerText()).split('. ').length >= 2);
    assert.equal(await lesson.getAttribute('data-lesson'), name);
    assert.equal(
      await page.getAttribute(`[data-testid="lesson-${name}"]`, 'aria-pressed'),
      'true',
      'its lesson button is pressed',
    );
    // Where the background is excluded its cells have a neutral badge only.
    const bg = await badge(page, 0, 0);
    if (BACKGROUND_IN.has(name)) {
      assert.notEqual(bg.verdict, null, 'the background is in the loss and has a verdict');
    } else {
      assert.equal(bg.verdict, null, 'an excluded cell has no verdict');
      assert.match(bg.text, /not in the loss/);
    }
    if (name === 'zero-over-zero') {
      assert.equal(await shownLoss(page), null, 'the loss is undefined');
      const u = await badge(page, 1, 1);
      assert.equal(u.undefined, 'true', 'cell (1,1) is undefined');
      assert.match(u.text, /undefined/);
      assert.equal(u.correct, 'false');
    } else {
      assert.ok((await shownLoss(page)) !== null, 'the loss is a number');
    }
    await settle(page);
    assert.equal(await page.evaluate(() => location.hash), `#preset=${name}`);
    assertNoProblems(problems);
    await page.close();
  });
}

test('a lesson button loads its scene and sets the URL', async () => {
  const { page, problems } = await openApp(browser.context);
  assert.ok(await page.locator('[data-testid="lesson"]').isHidden(), 'no lesson on the default page');
  await page.click('[data-testid="lesson-empty-BI"]');
  await waitVerdict(page, 1, 1, 'down', 'clicking the empty-BI lesson');
  await assertVerdicts(page, 'empty-BI');
  assert.equal(await page.evaluate(() => location.hash), '#preset=empty-BI');
  assert.ok(await page.locator('[data-testid="lesson-text"]').isVisible());
  // Browser Back returns to the page before the lesson.
  await page.click('[data-testid="lesson-missing-I"]');
  await waitVerdict(page, 1, 1, 'none', 'clicking the missing-I lesson');
  await page.goBack();
  await waitVerdict(page, 1, 1, 'down', 'going back');
  assert.equal(await page.evaluate(() => location.hash), '#preset=empty-BI');
  assertNoProblems(problems);
  await page.close();
});

test('changing a label status changes the badge; an empty label cannot be painted', async () => {
  const { page, problems } = await openApp(browser.context, twoLabelledUrl());
  const before = await badge(page, 1, 1);
  assert.deepEqual([before.verdict, before.correct], ['up', 'true'], 'an annotated structure is pushed up');
  const loss0 = await shownLoss(page);

  // The default page has the background in the loss (MONAI's default): with exclusive
  // classes the unlabelled structure is background to the loss, whose term raises the
  // background there and so lowers the structure — the background trap.
  await page.selectOption('[data-testid="status-1-1"]', 'missing');
  await waitLossChange(page, loss0, 'marking the label missing');
  await waitVerdict(page, 1, 1, 'down', 'marking the label missing');
  assert.equal((await badge(page, 1, 1)).correct, 'false', 'the background term pushes a missing structure down');
  const input = await cliInput(page);
  assert.ok(
    input.y.slice(flatIndex(input.shape, 1, 1, 0, 0), flatIndex(input.shape, 1, 2, 0, 0)).every((v) => v === 0),
    'the loss sees y = 0 for a missing label',
  );

  await page.selectOption('[data-testid="status-1-1"]', 'empty');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="verdict-1-1"]')?.dataset.correct === 'true',
    null,
    { timeout: 5_000 },
  );
  assert.equal((await badge(page, 1, 1)).verdict, 'down', 'the same background term pushes an empty label down');

  // Painting on the empty label does nothing and says why.
  const lossEmpty = await shownLoss(page);
  await stroke(page, 'label-1-1', [
    [3, 3],
    [3, 10],
  ]);
  await page.locator('#notice').waitFor({ state: 'visible', timeout: 5_000 });
  assert.match(await page.locator('#notice-text').innerText(), /empty/);
  assert.equal(await shownLoss(page), lossEmpty, 'the loss is unchanged');
  const after = await cliInput(page);
  assert.deepEqual(after.y, input.y, 'the stroke changed nothing');

  await page.selectOption('[data-testid="status-1-1"]', 'annotated');
  await waitVerdict(page, 1, 1, 'up', 'annotating again');
  assert.equal(await shownLoss(page), loss0, 'back to the first loss');
  assertNoProblems(problems);
  await page.close();
});

test('the label views and the hover line show the labels the loss sees', async () => {
  // missing-BI: image 1's structure (class 1) is there but unannotated, so with exclusive
  // classes the loss sees its pixels as background (class 0, y = 1).
  const { page, problems } = await openApp(browser.context, url('#preset=missing-BI'));
  const input = await cliInput(page);
  const [, , H, W] = input.shape;
  // A pixel inside the hidden truth: the label view of (1, 1) draws it (not white).
  const pixels = (testid) =>
    page.locator(`[data-testid="${testid}"]`).evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
  const hidden = await pixels('label-1-1');
  const bg = await pixels('label-1-0');
  let inside = null;
  for (let i = 0; i < H && !inside; i++) {
    for (let j = 0; j < W; j++) {
      const k = (i * W + j) * 4;
      if (hidden[k] < 250 && i > 0 && j > 0) {
        inside = [i, j];
        break;
      }
    }
  }
  assert.ok(inside, 'the missing label shows its hidden truth');
  const [i, j] = inside;
  assert.equal(input.y[flatIndex(input.shape, 1, 0, i, j)], 1, 'the loss sees background there');
  assert.equal(input.y[flatIndex(input.shape, 1, 1, i, j)], 0, 'and no structure');
  const k = (i * W + j) * 4;
  assert.ok(bg[k] < 60 && bg[k + 1] < 60 && bg[k + 2] < 100, `class 0 is drawn as y = 1 there: rgb ${bg.slice(k, k + 3)}`);

  const hoverAt = async (testid) => {
    const loc = page.locator(`[data-testid="${testid}"]`);
    await loc.scrollIntoViewIfNeeded();
    // A column shown on request re-fits the grid's views over a frame or two: aim once the
    // view has stopped moving.
    let box = await loc.boundingBox();
    for (let k = 0; k < 20; k++) {
      await settle(page);
      const again = await loc.boundingBox();
      if (JSON.stringify(again) === JSON.stringify(box)) break;
      box = again;
    }
    await page.mouse.move(box.x + ((j + 0.5) * box.width) / W, box.y + ((i + 0.5) * box.height) / H);
    await settle(page);
    return page.locator('#hover-info').innerText();
  };
  assert.match(await hoverAt('label-1-1'), /hidden truth 1, loss sees y = 0/);
  // The excluded background's column is folded into a note: show it to point at it.
  await page.click('[data-testid="folded-toggle"]');
  await page.locator('[data-testid="label-1-0"]').waitFor({ state: 'visible', timeout: 5_000 });
  const line = await hoverAt('label-1-0');
  assert.match(line, /: y = 1 \(painted 0/, line);
  // Background is excluded in this lesson: no gradient, said in words rather than "0".
  assert.match(line, /∂L\/∂ỹ = none \(class not in the loss\)/, line);
  assertNoProblems(problems);
  await page.close();
});

test('clicking a set in the Φ picture outlines its cells and fills the formula', async () => {
  const { page, problems } = await openApp(browser.context, twoLabelledUrl());
  await page.click('[data-phi="BI"]');
  await page.waitForSelector('#phi-picture rect[data-set="1"]');
  await page.mouse.move(2, 2); // no hover: the outline is the selected set's

  await page.click('#phi-picture rect[data-set="0"] >> nth=0');
  await settle(page);
  assert.deepEqual(await outlined(page), ['0-0', '1-0'], 'batch-wise set φ1 is class 0 of both images');
  await page.click('#phi-picture rect[data-set="1"] >> nth=1');
  await settle(page);
  assert.deepEqual(await outlined(page), ['0-1', '1-1'], 'set φ2 is class 1 of both images');
  assert.equal(
    await page.locator('#phi-picture rect[data-set="1"][stroke-width="3"]').count(),
    2,
    'the selected set is drawn bold',
  );

  // The formula shows this set, with the sDSC of the sets table.
  assert.match(await page.locator('#formula-title').innerText(), /φ2/);
  const row = page.locator('#sets-body tr[data-set="1"]');
  assert.equal(await row.evaluate((r) => r.classList.contains('hl')), true, 'its table row is lit');
  const sdscText = (await row.locator('td.sdsc').innerText()).trim();
  const formula = await page.locator('[data-testid="formula"]').evaluate((f) => ({
    text: f.textContent,
    sdsc: f.dataset.sdsc,
    maths: f.querySelectorAll('math').length,
  }));
  assert.ok(formula.maths >= 2, 'MathML blocks are inserted');
  assert.ok(formula.text.includes(sdscText), `the formula shows sDSC ${sdscText}: ${formula.text}`);
  const full = Number(formula.sdsc);
  assert.ok(Math.abs(full - Number(sdscText.replace('−', '-'))) < 1e-3, 'the same sDSC');
  assert.doesNotMatch(formula.text, /NaN|Infinity/);

  // From the keyboard: Enter on a row of the sets table selects its set.
  await page.mouse.move(2, 2);
  await settle(page);
  assert.deepEqual(await outlined(page), ['0-1', '1-1'], 'without hover, the selected φ2 again');
  await page.focus('#sets-body tr[data-set="0"]');
  await page.keyboard.press('Enter');
  await settle(page);
  assert.deepEqual(await outlined(page), ['0-0', '1-0'], 'Enter on row φ1 selects it');
  // The table is rewritten when its numbers change; the focused row keeps focus.
  const before = await page.locator('#sets-body tr[data-set="0"] td.sdsc').innerText();
  await stroke(page, 'pred-0-0', [
    [2, 2],
    [2, 12],
  ]);
  await page.waitForFunction((old) => document.querySelector('#sets-body tr[data-set="0"] td.sdsc')?.textContent !== old, before, {
    timeout: 5_000,
  });
  assert.equal(
    await page.evaluate(() => document.activeElement?.closest?.('tr')?.dataset.set ?? null),
    '0',
    'row φ1 still has keyboard focus after the table changed',
  );

  // Hovering a pixel puts its own numbers in.
  const grad = page.locator('[data-testid="grad-0-0"]');
  const box = await grad.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => /pixel under the pointer/.test(document.querySelector('#formula-title')?.textContent ?? ''), null, {
    timeout: 5_000,
  });
  assert.match(await page.locator('#formula-title').innerText(), /φ1/);
  assertNoProblems(problems);
  await page.close();
});

test('the three plots are drawn, with text', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=empty-I'));
  await page.locator('#explain').scrollIntoViewIfNeeded();
  for (const id of ['plot-loss-eps', 'plot-push-eps', 'plot-empty-push']) {
    const canvas = page.locator(`[data-testid="${id}"]`);
    assert.ok(await canvas.isVisible(), `${id} is visible`);
    let stats;
    for (let k = 0; k < 50; k++) {
      stats = await canvas.evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        let dark = 0;
        for (let i = 0; i < d.length; i += 4) {
          const m = Math.min(d[i], d[i + 1], d[i + 2]);
          if (m < 245) ink++;
          if (d[i] < 60 && d[i + 1] < 60 && d[i + 2] < 60) dark++;
        }
        return { ink, dark, w: c.width, h: c.height };
      });
      if (stats.ink > 2000) break;
      await page.waitForTimeout(100);
    }
    assert.ok(stats.ink > 2000, `${id} has curves: ${JSON.stringify(stats)}`);
    assert.ok(stats.dark > 200, `${id} has dark axis text and lines: ${JSON.stringify(stats)}`);
    assert.ok(stats.w >= 420, `${id} is at least 420 px wide`);
  }
  // Plot (c) marks the selected set, which is empty in this scene.
  assert.notEqual(await page.getAttribute('[data-testid="plot-empty-push"]', 'data-current'), 'none');
  assert.match(await page.locator('#legend-empty').innerText(), /selected set/);
  for (const id of ['note-loss-eps', 'note-push-eps', 'note-empty-push']) {
    assert.ok(await page.locator(`#${id}`).isHidden(), `${id}: no caveat with plain Dice and one ε`);
  }
  // Plot (c)'s formula is plain Dice: with a squared denominator the dot goes, and the
  // caption says why.
  await page.check('#squared');
  await page.waitForFunction(() => document.querySelector('[data-testid="plot-empty-push"]')?.dataset.current === 'none', null, {
    timeout: 5_000,
  });
  assert.doesNotMatch(await page.locator('#legend-empty').innerText(), /selected set/);
  assert.match(await page.locator('#note-empty-push').innerText(), /squared denominator.*not marked/);
  await page.uncheck('#squared');
  await page.waitForFunction(() => document.querySelector('[data-testid="plot-empty-push"]')?.dataset.current !== 'none', null, {
    timeout: 5_000,
  });
  // Separate ε: plots (a) and (b) still sweep one ε, and say so.
  await page.check('#eps-separate');
  await page.locator('#eps-dr').fill('0.5');
  await page.locator('#eps-dr').press('Enter');
  // The note is already shown (separate ε is on): wait for the plots drawn after ε_dr.
  await page
    .waitForFunction(() => /ε_dr = 0\.5/.test(document.querySelector('#note-loss-eps')?.textContent ?? ''), null, { timeout: 5_000 })
    .catch(() => {});
  assert.match(await page.locator('#note-loss-eps').innerText(), /ε_nr = ε_dr = ε.*ε_dr = 0\.5/);
  assert.match(await page.locator('#note-push-eps').innerText(), /ε_nr = ε_dr = ε/);
  await page.locator('#note-empty-push').waitFor({ state: 'visible', timeout: 5_000 });
  assert.match(await page.locator('#note-empty-push').innerText(), /ε_nr ≠ ε_dr/);
  assert.equal(await page.getAttribute('[data-testid="plot-empty-push"]', 'data-current'), 'none');
  assertNoProblems(problems);
  await page.close();
});

test('the guided tour steps through every scene', async () => {
  const N = ORDER.length;
  const { page, problems } = await openApp(browser.context);
  assert.equal(await page.locator('.lesson-btn').count(), N, 'one button per lesson');
  await page.click('[data-testid="tour-start"]');
  const step = page.locator('[data-testid="tour-step"]');
  await step.waitFor({ state: 'visible', timeout: 5_000 });
  assert.equal(await step.innerText(), `Step 1 of ${N}`);
  assert.equal(await page.evaluate(() => location.hash), '#preset=missing-I');
  await assertVerdicts(page, 'missing-I');

  await page.click('[data-testid="tour-next"]');
  await waitVerdict(page, 1, 1, 'down', 'Next');
  assert.equal(await step.innerText(), `Step 2 of ${N}`);
  assert.equal(await page.evaluate(() => location.hash), '#preset=missing-BI');
  await assertVerdicts(page, 'missing-BI');

  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((N) => document.querySelector('[data-testid="tour-step"]')?.textContent === `Step 3 of ${N}`, N);
  await assertVerdicts(page, 'empty-I');
  await page.click('[data-testid="tour-prev"]');
  await page.waitForFunction((N) => document.querySelector('[data-testid="tour-step"]')?.textContent === `Step 2 of ${N}`, N);

  for (let k = 3; k <= N; k++) {
    await page.click('[data-testid="tour-next"]');
    await page.waitForFunction(
      ([k, N]) => document.querySelector('[data-testid="tour-step"]')?.textContent === `Step ${k} of ${N}`,
      [k, N],
    );
    await settle(page);
    assert.equal(await page.evaluate(() => location.hash), `#preset=${ORDER[k - 1]}`);
    await assertVerdicts(page, ORDER[k - 1]);
  }
  assert.match(await page.locator('[data-testid="tour-next"]').innerText(), /Finish/);
  await page.click('[data-testid="tour-exit"]');
  await settle(page);
  assert.ok(await step.isHidden(), 'the tour has ended');
  assert.ok(await page.locator('[data-testid="lesson-text"]').isVisible(), 'the last lesson stays readable');
  assertNoProblems(problems);
  await page.close();
});

test('a lesson leaves the whole grid on a 1280×800 screen; embedding keeps the lesson text', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=missing-BI'));
  await page.setViewportSize({ width: 1280, height: 800 });
  await settle(page);
  await settle(page);
  for (const id of ['verdict-0-1', 'status-1-1', 'label-1-1', 'grad-1-1']) {
    const box = await page.locator(`[data-testid="${id}"]`).boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 800, `${id} is on screen: ${JSON.stringify(box)}`);
  }
  // The lesson text is beside the grid, not over it, and shown whole or by its first
  // sentence with "more" (never a clipped scroll box).
  const lesson = await page.locator('[data-testid="lesson"]').boundingBox();
  const grid = await page.locator('#grid').boundingBox();
  const apart = lesson.x >= grid.x + grid.width || lesson.y >= grid.y + grid.height || lesson.y + lesson.height <= grid.y;
  assert.ok(apart, `the lesson text is not over the grid: ${JSON.stringify({ lesson, grid })}`);
  const clipped = await page
    .locator('[data-testid="lesson-text"]')
    .evaluate((e) => e.scrollHeight > e.clientHeight + 1);
  assert.ok(!clipped, 'the lesson text is not cut by a scroll box');
  await page.close();

  const embedded = await openApp(browser.context, url('#preset=empty-I&embed'));
  const p = embedded.page;
  assert.ok(await p.locator('[data-testid="lesson-text"]').isVisible(), 'the lesson text is shown');
  assert.ok(await p.locator('#controls').isHidden(), 'no control panel');
  assert.ok(await p.locator('#explain').isHidden(), 'no Φ picture, formula or plots');
  await assertVerdicts(p, 'empty-I');
  assertNoProblems(embedded.problems);
  assertNoProblems(problems);
  await p.close();
});

test('framework presets show their code and the MONAI equivalent', async () => {
  const { page, problems } = await openApp(browser.context, twoLabelledUrl());
  assert.equal((await page.locator('#preset-code').innerText()).trim(), 'monai.losses.DiceLoss()');
  await page.selectOption('#preset', 'keras');
  await page.waitForFunction(() => /keras\.losses\.Dice/.test(document.querySelector('#preset-code')?.textContent ?? ''));
  assert.match(await page.locator('#preset-note').innerText(), /flattened/);
  assert.match(
    await page.locator('#monai-equivalent').innerText(),
    /^No MONAI DiceLoss call computes these settings \(.+\)\.$/,
  );
  assert.match(await page.locator('#loss-code').innerText(), /No MONAI DiceLoss call/);
  assert.equal(
    await page.locator('#preset-code').evaluate((e) => getComputedStyle(e).fontFamily.includes('mono')),
    true,
    'the code is set in a monospace font',
  );
  await page.selectOption('#preset', 'monai_batch');
  await page.waitForFunction(() => document.querySelector('#preset-code')?.textContent === 'monai.losses.DiceLoss(batch=True)');
  // Custom settings with a MONAI equivalent show that call.
  await page.click('[data-phi="I"]');
  await page.waitForFunction(() => document.querySelector('#preset')?.value === 'monai');
  await page.click('#squared');
  await page.waitForFunction(() => document.querySelector('#preset-code')?.textContent === 'monai.losses.DiceLoss(squared_pred=True)');
  assertNoProblems(problems);
  await page.close();
});

test('one change of a label status select sends one message', async () => {
  const { page, problems } = await openApp(browser.context, twoLabelledUrl());
  const loss0 = await shownLoss(page);
  const sent = () => page.evaluate(() => window.diceDebug.sent());
  const before = await sent();
  await page.selectOption('[data-testid="status-1-1"]', 'missing');
  await waitLossChange(page, loss0, 'marking the label missing');
  await settle(page);
  assert.equal((await sent()) - before, 1, 'the change is heard once (one listener), not once per listener');
  assertNoProblems(problems);
  await page.close();
});
