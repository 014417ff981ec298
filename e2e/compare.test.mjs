// The paper's comparisons in the page: compare mode (one scene, two settings side by
// side, by link), the verdict matrix (each framework on a missing and an empty label, each
// entry a link to its page) and the loss-variant selector.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL,
  sharedBrowser,
  openApp,
  assertNoProblems,
  cliInput,
  nativeEval,
  assertClose,
  settle,
  shownLoss,
  waitReady,
} from './helpers.mjs';

const browser = sharedBrowser();

const url = (hash) => new URL(hash, BASE_URL).href;

async function badge(page, testid) {
  return page.locator(`[data-testid="${testid}"]`).evaluate((el) => ({
    verdict: el.dataset.verdict ?? null,
    correct: el.dataset.correct ?? null,
  }));
}

test('a contrast lesson opens in compare mode: the same scene, I beside BI', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=missing-I'));
  const bar = page.locator('[data-testid="compare"]');
  assert.ok(await bar.isVisible(), 'the compare bar is shown');
  // A: image-wise sets leave the missing label alone; B: batch-wise sets push it down.
  assert.deepEqual(await badge(page, 'verdict-1-1'), { verdict: 'none', correct: 'true' });
  assert.deepEqual(await badge(page, 'compare-verdict-1-1'), { verdict: 'down', correct: 'false' });
  assert.ok(await page.locator('[data-testid="compare-grad-1-1"]').isVisible(), "B's gradient view");
  // B's loss is what dice eval computes with B's settings on the same data.
  const input = await cliInput(page);
  const native = nativeEval({ ...input, phi: 'BI' });
  const b = Number(await page.getAttribute('[data-testid="compare-loss"]', 'data-value'));
  assertClose(b, native.loss, 1e-12, "B's loss");
  // Changing B's Φ back to I makes both sides agree.
  await page.click('#compare-phi [data-phi="I"]');
  await settle(page);
  assert.deepEqual(await badge(page, 'compare-verdict-1-1'), { verdict: 'none', correct: 'true' });
  // Compare mode is in the link.
  await page.waitForFunction(() => !location.hash.startsWith('#preset='));
  const hash = await page.evaluate(() => location.hash);
  await page.reload();
  await waitReady(page, problems);
  assert.equal(await page.evaluate(() => location.hash), hash);
  assert.ok(await bar.isVisible(), 'compare mode survives the reload');
  assert.deepEqual(await badge(page, 'compare-verdict-1-1'), { verdict: 'none', correct: 'true' });
  // Closing it leaves the page as it was.
  const loss = await shownLoss(page);
  await page.click('#compare-close');
  await settle(page);
  assert.ok(await bar.isHidden());
  assert.equal(await page.locator('[data-testid="compare-grad-1-1"]').count(), 0);
  assert.equal(await shownLoss(page), loss);
  assertNoProblems(problems);
  await page.close();
});

test('compare mode opens from the Loss panel and takes a library setting', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=empty-BI'));
  await page.click('#compare-close');
  await page.click('#compare-open');
  await settle(page);
  assert.ok(await page.locator('[data-testid="compare"]').isVisible());
  // Opening flips the family of sets: BI beside I.
  assert.deepEqual(await badge(page, 'verdict-1-1'), { verdict: 'down', correct: 'true' });
  assert.deepEqual(await badge(page, 'compare-verdict-1-1'), { verdict: 'none', correct: 'false' });
  await page.selectOption('#compare-preset', 'keras');
  await settle(page);
  const input = await cliInput(page);
  // Keras' Dice: one set, ε only in the denominator, the background in.
  const native = nativeEval({ ...input, phi: 'BCI', eps_nr: 0, eps_dr: 1e-7, include_background: true });
  const b = Number(await page.getAttribute('[data-testid="compare-loss"]', 'data-value'));
  assertClose(b, native.loss, 1e-12, "B's loss under Keras' setting");
  assertNoProblems(problems);
  await page.close();
});

test('the verdict matrix says what each framework does, and each entry opens its page', async () => {
  const { page, problems } = await openApp(browser.context);
  const rows = page.locator('#matrix-body tr');
  assert.equal(await rows.count(), 8, 'six presets, the leaf and the marginal Dice');
  // nnU-Net leaves the background out: the missing label gets no push, the empty one none.
  const nnunet = await badge(page, 'matrix-nnunet-missing');
  assert.deepEqual(nnunet, { verdict: 'none', correct: 'true' });
  assert.deepEqual(await badge(page, 'matrix-nnunet-empty'), { verdict: 'none', correct: 'false' });
  assert.deepEqual(await badge(page, 'matrix-monai-missing'), { verdict: 'down', correct: 'false' });
  assert.deepEqual(await badge(page, 'matrix-marginal-missing'), { verdict: 'none', correct: 'true' });
  // A click opens that page, whose badge is the matrix's verdict.
  await page.click('[data-testid="matrix-nnunet-missing"]');
  await page.waitForFunction(() => document.querySelector('#preset')?.value === 'nnunet');
  await settle(page);
  assert.deepEqual(await badge(page, 'verdict-1-1'), nnunet);
  assert.equal(await page.inputValue('[data-testid="status-1-1"]'), 'missing');
  assertNoProblems(problems);
  await page.close();
});

test('the loss-variant selector: the marginal Dice leaves the missing label of the background trap alone', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=missing-bg'));
  assert.deepEqual(await badge(page, 'verdict-1-1'), { verdict: 'down', correct: 'false' });
  await page.selectOption('#variant', 'marginal');
  await settle(page);
  assert.deepEqual(await badge(page, 'verdict-1-1'), { verdict: 'none', correct: 'true' });
  const input = await cliInput(page);
  assert.equal(input.variant, 'marginal');
  assert.deepEqual(input.missing, [[1, 1]]);
  assertClose(await shownLoss(page), nativeEval(input).loss, 1e-12, 'the marginal Dice');
  assertNoProblems(problems);
  await page.close();
});
