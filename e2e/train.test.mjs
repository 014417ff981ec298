// Training in the page: every lesson's "train it" run ends the way the paper says, the
// page after N steps equals `dice train` on `diceDebug.trainInput()`, the buttons and the
// step counter work, `&train=N` opens the page and trains it to step N (after its first
// frame), and a trained prediction cannot be painted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  BASE_URL,
  DICE_BIN,
  sharedBrowser,
  openApp,
  assertNoProblems,
  shownLoss,
  settle,
  stroke,
  waitReady,
  assertClose,
  cliInput,
  flatIndex,
  viewGeometry,
  pixelCentre,
  twoLabelledUrl,
} from './helpers.mjs';

const browser = sharedBrowser();

const url = (hash) => new URL(hash, BASE_URL).href;

/** Per lesson: (image, 'kept' | 'gone') after its run; the expectations of src/page/lessons/experiments.rs. */
const EXPERIMENTS = {
  'missing-I': [[0, 'kept'], [1, 'kept'], [2, 'kept']],
  'missing-BI': [[0, 'kept'], [2, 'gone']],
  'empty-I': [[0, 'kept'], [2, 'kept']],
  'empty-BI': [[0, 'kept'], [2, 'gone']],
  'heuristic-eps': [[0, 'kept'], [2, 'gone'], [3, 'gone']],
  'missing-bg': [[0, 'kept'], [2, 'gone']],
  marginal: [[0, 'kept'], [2, 'kept'], [3, 'gone']],
  leaf: [[0, 'kept'], [2, 'kept'], [3, 'kept']],
  'leaf-bg': [[0, 'kept'], [2, 'gone'], [3, 'gone']],
};

/**
 * Per lesson: the badges after its run, [b, c, verdicts allowed, correct], every cell in the
 * loss (the judgement of tests/verdicts.rs): annotated structures and complete backgrounds
 * right; a kept unannotated structure right with no push, an erased one wrong; a kept false
 * positive wrong, a removed one right; the background over an unannotated structure wrong
 * (the trap), the marginal Dice's merged background right with no push.
 */
const UP = ['up'];
const BADGES = {
  'missing-I': [[0, 1, UP, true], [1, 1, UP, true], [2, 1, ['none'], true]],
  'missing-BI': [[0, 1, UP, true], [1, 1, UP, true], [2, 1, ['down'], false]],
  'empty-I': [[0, 1, UP, true], [1, 1, UP, true], [2, 1, ['none'], false]],
  'empty-BI': [[0, 1, UP, true], [1, 1, UP, true], [2, 1, ['down', 'none'], true]],
  'heuristic-eps': [[0, 1, UP, true], [1, 1, UP, true], [2, 1, ['down'], false], [3, 1, ['down', 'none'], true]],
  'missing-bg': [
    [0, 0, UP, true], [0, 1, UP, true], [1, 0, UP, true], [1, 1, UP, true],
    [2, 0, UP, false], [2, 1, ['down'], false],
  ],
  marginal: [
    [0, 0, UP, true], [0, 1, UP, true], [1, 0, UP, true], [1, 1, UP, true],
    [2, 0, ['none'], true], [2, 1, ['none'], true], [3, 0, UP, true], [3, 1, ['down', 'none'], true],
  ],
  leaf: [[0, 1, UP, true], [1, 1, UP, true], [2, 1, ['none'], true], [3, 1, ['none'], false]],
  'leaf-bg': [
    [0, 0, UP, true], [0, 1, UP, true], [1, 0, UP, true], [1, 1, UP, true],
    [2, 0, UP, false], [2, 1, ['down'], false], [3, 0, UP, true], [3, 1, ['down', 'none'], true],
  ],
};

/** Every badge of the grid: `b-c` → {verdict, correct, text, why}. */
async function badges(page) {
  return page.evaluate(() => {
    const out = {};
    for (const el of document.querySelectorAll('[data-testid^="verdict-"]')) {
      const key = el.dataset.testid.slice('verdict-'.length);
      out[key] = {
        verdict: el.dataset.verdict,
        correct: el.dataset.correct,
        text: el.textContent,
        why: document.querySelector(`[data-testid="why-${key}"]`)?.textContent ?? '',
      };
    }
    return out;
  });
}

async function step(page) {
  return Number(await page.getAttribute('[data-testid="train-count"]', 'data-step'));
}

/** The last number of a result line "mean ỹ on …: a → b". */
async function finalMean(page, b) {
  const text = await page.innerText(`[data-testid="train-result-${b}-1"]`);
  const m = text.match(/→\s*([0-9.e−-]+)\s*$/);
  assert.ok(m, `result line of image ${b}: ${text}`);
  return Number(m[1].replace('−', '-'));
}

/** Runs `dice train -` on an input object. */
function nativeTrain(input) {
  const r = spawnSync(DICE_BIN, ['train', '-'], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, `dice train - failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

for (const [name, expected] of Object.entries(EXPERIMENTS)) {
  test(`#preset=${name}: "train it" ends as the lesson says`, async () => {
    const { page, problems } = await openApp(browser.context, url(`#preset=${name}`));
    assert.ok(await page.locator('[data-testid="lesson-train"]').isVisible(), 'a train-it button');
    await page.click('[data-testid="lesson-train"]');
    assert.match(await page.innerText('[data-testid="lesson-train-text"]'), /\w/, 'what the run will show, in words');
    // Faster for the test; the run still pauses where the lesson ends it.
    await page.evaluate(() => {
      const s = document.getElementById('train-speed');
      s.value = '240';
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(
      () => document.querySelector('#train-play')?.dataset.playing === 'false' && Number(document.querySelector('[data-testid="train-count"]')?.dataset.step) > 0,
      null,
      { timeout: 60_000 },
    );
    const n = await step(page);
    assert.ok(n >= 300, `${name} trained for ${n} steps`);
    for (const [b, want] of expected) {
      const mean = await finalMean(page, b);
      if (want === 'kept') assert.ok(mean >= 0.5, `${name}: image ${b} kept (${mean})`);
      else assert.ok(mean <= 0.1, `${name}: image ${b} gone (${mean})`);
    }
    // The badges beside the result lines agree with them.
    const shown = await badges(page);
    const judged = Object.entries(shown).filter(([, v]) => v.verdict !== undefined);
    assert.equal(judged.length, BADGES[name].length, `${name}: every badge in the loss is checked: ${JSON.stringify(shown)}`);
    for (const [b, c, verdicts, correct] of BADGES[name]) {
      const got = shown[`${b}-${c}`];
      assert.ok(got, `${name}: badge ${b}-${c}`);
      assert.ok(verdicts.includes(got.verdict), `${name} ${b}-${c}: ${JSON.stringify(got)}`);
      assert.equal(got.correct, String(correct), `${name} ${b}-${c}: ${JSON.stringify(got)}`);
      assert.equal(got.text[0], correct ? '✓' : '✗', `${name} ${b}-${c}: ${got.text}`);
      assert.ok(got.why.startsWith(correct ? 'right: ' : 'wrong: '), `${name} ${b}-${c}: ${got.why}`);
    }
    if (name === 'empty-I' || name === 'leaf') {
      const fp = shown[`${expected.at(-1)[0]}-1`];
      assert.equal(fp.text, '✗ almost no push');
      assert.equal(fp.why, 'wrong: a prediction in an empty image should be pushed down');
    }
    if (name === 'marginal') {
      assert.match(shown['2-0'].why, /^right: the merged background carries no information about the missing class$/);
    }
    if (name === 'missing-bg' || name === 'leaf-bg') {
      assert.equal(shown['2-0'].why, 'wrong: this background label covers an unannotated structure, which should get no push');
    }
    assert.ok(await page.locator('[data-testid="plot-train"]').isVisible(), 'plot (d) is shown');
    assertNoProblems(problems);
    await page.close();
  });
}

test('the page after N steps is what dice train computes on trainInput()', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=empty-BI'));
  await page.click('[data-testid="lesson-train"]');
  await page.click('[data-testid="train-play"]'); // pause at once
  await settle(page);
  // From a fresh start, exactly 37 steps by the step button's logic: reset, then step.
  await page.click('[data-testid="train-reset"]');
  await settle(page);
  assert.equal(await step(page), 0);
  for (let k = 0; k < 37; k++) await page.click('[data-testid="train-step"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="train-count"]')?.dataset.step === '37');
  await settle(page);
  const input = JSON.parse(await page.evaluate(() => window.diceDebug.trainInput()));
  assert.equal(input.steps, 37);
  const native = nativeTrain(input);
  assert.equal(native.loss.length, 37);
  assert.equal(native.stopped, null);
  assertClose(await shownLoss(page), native.final_loss, 1e-12, 'loss after 37 steps');
  assertNoProblems(problems);
  await page.close();
});

test('play, pause, step and reset; &train=N trains the page to step N again; a trained prediction cannot be painted', async () => {
  const { page, problems } = await openApp(browser.context, twoLabelledUrl());
  // A shared model needs an activation.
  await page.click('[data-testid="train-step"]');
  await page.locator('#notice').waitFor({ state: 'visible' });
  assert.match(await page.innerText('#notice-text'), /sigmoid or softmax/);
  await page.selectOption('#activation', 'softmax');
  await settle(page);
  const painted = await shownLoss(page);
  await page.click('[data-testid="train-step"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="train-count"]')?.dataset.step === '1');
  assert.notEqual(await shownLoss(page), painted, 'the model output is evaluated');
  assert.ok(await page.locator('[data-testid="image-0-0"]').isVisible(), 'the input images are shown');
  await page.click('[data-testid="train-play"]');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-count"]')?.dataset.step) >= 5);
  await page.click('[data-testid="train-play"]');
  await settle(page);
  const paused = await step(page);
  await page.waitForTimeout(300);
  assert.equal(await step(page), paused, 'paused');
  // The link holds the run: a reload opens the same trained page. It shows its first
  // frame before training, then trains to the link's step between frames.
  await page.waitForFunction((n) => location.hash.endsWith(`&train=${n}`), paused);
  const loss = await shownLoss(page);
  await page.reload();
  await waitReady(page, problems);
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="train-count"]')?.dataset.step === String(n),
    paused,
  );
  await settle(page);
  assert.equal(await step(page), paused, 'reloaded at the same step');
  assert.equal(await shownLoss(page), loss, 'and the same loss');
  // Painting the prediction while trained is refused with a message.
  await stroke(page, 'pred-0-1', [[5, 5], [5, 9]]);
  await page.locator('#notice').waitFor({ state: 'visible' });
  assert.match(await page.innerText('#notice-text'), /Reset/);
  assert.equal(await shownLoss(page), loss, 'nothing painted');
  await page.click('[data-testid="train-reset"]');
  await settle(page);
  assert.equal(await step(page), 0);
  assert.equal(await shownLoss(page), painted, 'back to the painted prediction');
  assertNoProblems(problems);
  await page.close();
});

/** The ỹ the hover line shows for the pixel under the pointer. */
async function hoveredPred(page, geom, [i, j]) {
  const at = pixelCentre(geom, i, j);
  await page.mouse.move(at.x, at.y);
  await page.waitForFunction(
    ([i, j]) => document.querySelector('#hover-info').textContent.includes(`pixel (${i}, ${j})`),
    [i, j],
  );
  const text = await page.locator('#hover-info').innerText();
  const m = text.match(/· ỹ = (\S+) ·/);
  assert.ok(m, `the hover line names ỹ: ${text}`);
  return Number(m[1]);
}

/** The probability at (b, c, i, j) of `input.pred` (logits) under `input.activation`. */
function probability(input, b, c, i, j) {
  const z = (k) => input.pred[flatIndex(input.shape, b, k, i, j)];
  if (input.activation === 'sigmoid') return 1 / (1 + Math.exp(-z(c)));
  assert.equal(input.activation, 'softmax');
  const classes = input.shape[1];
  const top = Math.max(...Array.from({ length: classes }, (_, k) => z(k)));
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(z(k) - top);
  return Math.exp(z(c) - top) / sum;
}

test("during training the hover line's ỹ is the trained model's, not the painted prediction", async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=empty-BI'));
  const geom = await viewGeometry(page, 'pred-0-1');
  const n = geom.w;
  const pixels = [
    [n >> 2, n >> 2],
    [n >> 1, n >> 1],
    [(3 * n) >> 2, n >> 2],
    [n >> 2, (3 * n) >> 2],
    [(3 * n) >> 2, (3 * n) >> 2],
  ];
  const painted = [];
  for (const px of pixels) painted.push(await hoveredPred(page, geom, px));
  await page.click('[data-testid="lesson-train"]');
  await page.click('[data-testid="train-play"]'); // pause
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-count"]')?.dataset.step) >= 1);
  await settle(page);
  const trained = await cliInput(page);
  // Training adds result lines under the cells: the views may have moved.
  const after = await viewGeometry(page, 'pred-0-1');
  let moved = 0;
  for (const [k, [i, j]] of pixels.entries()) {
    const want = probability(trained, 0, 1, i, j);
    const shown = await hoveredPred(page, after, [i, j]);
    // The line writes 4 significant digits.
    assert.ok(
      Math.abs(shown - want) <= 5e-4 * Math.abs(want) + 1e-12,
      `pixel (${i}, ${j}): the hover line shows ỹ = ${shown}, the trained model gives ${want} (painted ${painted[k]})`,
    );
    if (Math.abs(want - painted[k]) > 1e-2) moved += 1;
  }
  assert.ok(moved > 0, `the run moved the prediction at one of the pixels at least (painted ${painted})`);
  assertNoProblems(problems);
  await page.close();
});
