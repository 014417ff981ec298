// "Paste your loss": a MONAI call pasted on a lesson sets exactly that loss (the settings
// `dice eval` receives, and the loss it computes, equal the page's), reaches the link and
// shows its verdicts; an argument the page cannot honour is said and changes nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL,
  sharedBrowser,
  openApp,
  assertNoProblems,
  cliInput,
  nativeEval,
  settle,
  assertClose,
  assertLossMatchesNative,
} from './helpers.mjs';

const browser = sharedBrowser();
const url = (hash) => new URL(hash, BASE_URL).href;

const CALL =
  'monai.losses.DiceLoss(include_background=False, sigmoid=True, batch=True, smooth_nr=1e-5, smooth_dr=1e-5)';

// The loss settings of a `dice eval` input (everything but the tensors).
const SETTING_KEYS = [
  'phi',
  'eps_nr',
  'eps_dr',
  'squared',
  'jaccard',
  'include_background',
  'activation',
  'denominator_floor',
  'zero_empty_sets',
  'variant',
];
const settingsOf = (input) => Object.fromEntries(SETTING_KEYS.map((k) => [k, input[k]]));
// The page's loss settings with its real activation (cliInput() feeds the CLI the
// probabilities, activation "none"; the training input carries the page's activation).
const pageSettings = async (page) =>
  settingsOf(JSON.parse(await page.evaluate(() => window.diceDebug.trainInput())));

// Pastes `text`, applies it and waits for the answer (the call is read in a worker
// started on first use; the status line is pending until its message is drawn).
async function paste(page, text) {
  await page.fill('[data-testid="paste-loss"]', text);
  await page.click('[data-testid="paste-loss-apply"]');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="paste-loss-status"]').dataset.pending === 'false',
    null,
    { timeout: 20000 },
  );
  await settle(page);
  return page.locator('[data-testid="paste-loss-status"]').innerText();
}

test('a pasted MONAI call sets exactly that loss on a lesson, in the link too', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=missing-I'));
  const before = await cliInput(page);
  const hashBefore = await page.evaluate(() => location.hash);

  const status = await paste(page, CALL);
  assert.match(status, /^Applied MONAI DiceLoss: Φ = BI/, status);
  assert.equal(
    await page.getAttribute('[data-testid="paste-loss-status"]', 'data-error'),
    'false',
  );

  const after = await cliInput(page);
  // Exactly the call's loss: MONAI's defaults for everything it does not set.
  const pasted = await pageSettings(page);
  assert.deepEqual(pasted, {
    phi: 'BI',
    eps_nr: 1e-5,
    eps_dr: 1e-5,
    squared: false,
    jaccard: false,
    include_background: false,
    activation: 'sigmoid',
    denominator_floor: 0,
    zero_empty_sets: false,
    variant: 'dice',
  });
  // Nothing but the loss changed: the same tensors, the same missing cells.
  for (const k of ['shape', 'y', 'pred', 'missing']) {
    assert.deepEqual(after[k], before[k], `${k} is unchanged`);
  }
  // The CLI, given the lesson's data and the call's settings (on the probabilities the
  // page shows, as cliInput() gives them), computes the page's loss.
  const { shown } = await assertLossMatchesNative(page, 'after the paste');
  assert.deepEqual(settingsOf(after), { ...pasted, activation: 'none' });
  const expected = nativeEval({ ...before, ...pasted, activation: 'none' });
  assertClose(shown, expected.loss, 1e-12, 'the lesson under the pasted settings');

  // The verdicts of the pasted loss, beside the matrix.
  for (const which of ['missing', 'empty']) {
    const cell = page.locator(`[data-testid="matrix-pasted-${which}"]`);
    assert.ok(await cell.isVisible(), `${which} verdict shown`);
    assert.match(await cell.getAttribute('data-verdict'), /^(none|down|up)$/);
  }

  // The link holds it: a reload gives the same settings.
  const hash = await page.evaluate(() => location.hash);
  assert.notEqual(hash, hashBefore);
  const reopened = await openApp(browser.context, url(hash));
  assert.deepEqual(await pageSettings(reopened.page), pasted);
  assertNoProblems(reopened.problems);
  await reopened.page.close();

  assertNoProblems(problems);
  await page.close();
});

test('an argument the page cannot honour is said and leaves the page unchanged', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=missing-I'));
  const before = await cliInput(page);
  const hashBefore = await page.evaluate(() => location.hash);

  const status = await paste(page, 'monai.losses.DiceLoss(batch=True, weight=[1.0, 2.0])');
  assert.match(status, /weight .* cannot be honoured: the page has no class weights/, status);
  assert.equal(
    await page.getAttribute('[data-testid="paste-loss-status"]', 'data-error'),
    'true',
  );
  assert.deepEqual(await cliInput(page), before);
  assert.equal(await page.evaluate(() => location.hash), hashBefore);
  assert.equal(await page.locator('[data-testid="paste-verdicts"]').isVisible(), false);

  // Malformed text: an error sentence, no crash.
  const broken = await paste(page, 'DiceLoss(batch=True');
  assert.match(broken, /never closed/, broken);
  assert.deepEqual(await cliInput(page), before);

  assertNoProblems(problems);
  await page.close();
});
