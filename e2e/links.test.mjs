// Links never lose or silently change an edit: the address bar follows every change (a
// reload at once keeps it), Back after a lesson click returns to the edit, a mistyped link
// is refused with a message, `&embed` follows the link, and the links are short.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL,
  sharedBrowser,
  openApp,
  assertNoProblems,
  shownLoss,
  waitReady,
  cliInput,
  settle,
  typeEps,
  assertLossMatchesNative,
} from './helpers.mjs';

const browser = sharedBrowser();

test('a typed ε survives a reload at once', async () => {
  const { page, problems } = await openApp(browser.context);
  await typeEps(page, '0.003');
  const before = await cliInput(page);
  assert.equal(before.eps_nr, 0.003);
  // No wait at all between the edit and the reload.
  await page.reload();
  await waitReady(page, problems);
  assert.deepEqual(await cliInput(page), before, 'the edit is there after the reload');
  assertNoProblems(problems);
  await page.close();
});

test('a slider change survives a reload within the debounce', async () => {
  const { page, problems } = await openApp(browser.context);
  await page.click('[data-phi="BI"]');
  await settle(page);
  // A drag: several positions in a row, then a reload before the debounced write.
  await page.evaluate(() => {
    const s = document.getElementById('eps-slider');
    for (const v of ['10', '11', '12']) {
      s.value = v;
      s.dispatchEvent(new Event('input', { bubbles: true }));
    }
  });
  const before = await cliInput(page);
  await page.reload();
  await waitReady(page, problems);
  const after = await cliInput(page);
  assert.equal(after.eps_nr, before.eps_nr, 'ε from the last slider position');
  assert.equal(after.phi, 'BI');
  await assertLossMatchesNative(page, 'after the reload');
  assertNoProblems(problems);
  await page.close();
});

test('Back after a lesson click right after an edit returns to the edit', async () => {
  const { page, problems } = await openApp(browser.context);
  await page.click('[data-phi="BCI"]');
  // At once, within any debounce.
  await page.click('[data-testid="lesson-missing-I"]');
  await page.waitForFunction(() => location.hash === '#preset=missing-I');
  assert.equal((await cliInput(page)).phi, 'I');
  await page.goBack();
  await page.waitForFunction(() => !location.hash.startsWith('#preset='));
  await settle(page);
  const input = await cliInput(page);
  assert.equal(input.phi, 'BCI', 'the edit before the lesson click is there');
  assert.deepEqual(input.shape, [3, 2, 32, 32]);
  await assertLossMatchesNative(page, 'after Back');
  assertNoProblems(problems);
  await page.close();
});

test('a link with one character changed is refused with the usual message', async () => {
  const { page, problems } = await openApp(browser.context);
  await page.click('[data-phi="BI"]');
  await page.waitForFunction(() => location.hash.length > 20);
  const hash = await page.evaluate(() => location.hash);
  // The codec's budget: 400 characters per 32×32 image of two classes (the native
  // codec test holds a two-image page to 800).
  const batch = JSON.parse(await page.evaluate(() => window.diceDebug.cliInput())).shape[0];
  assert.ok(hash.length <= 400 * batch, `the default page's link is ${hash.length} characters for ${batch} images`);
  await page.close();
  for (const pos of [5, Math.floor(hash.length / 2), hash.length - 2]) {
    const ch = hash[pos] === 'A' ? 'B' : 'A';
    const bad = hash.slice(0, pos) + ch + hash.slice(pos + 1);
    const opened = await openApp(browser.context, new URL(bad, BASE_URL).href);
    await opened.page.locator('#notice').waitFor({ state: 'visible', timeout: 5_000 });
    const text = await opened.page.locator('#notice-text').innerText();
    assert.match(text, /could not be opened/, `char ${pos}: ${text}`);
    const input = await cliInput(opened.page);
    assert.equal(input.phi, 'I', 'the default example, not a changed page');
    assertNoProblems(opened.problems);
    await opened.page.close();
  }
  // Cut short: refused too.
  const cut = await openApp(browser.context, new URL(hash.slice(0, hash.length - 10), BASE_URL).href);
  await cut.page.locator('#notice').waitFor({ state: 'visible', timeout: 5_000 });
  assert.match(await cut.page.locator('#notice-text').innerText(), /damaged or incomplete/);
  await cut.page.close();
});

test('&embed follows the link, Back and Forward', async () => {
  const { page, problems } = await openApp(browser.context, new URL('#preset=empty-BI', BASE_URL).href);
  const embedded = () => page.evaluate(() => document.body.classList.contains('embed'));
  assert.equal(await embedded(), false);
  await page.evaluate(() => {
    location.hash = '#preset=empty-BI&embed';
  });
  await page.waitForFunction(() => document.body.classList.contains('embed'));
  await page.goBack();
  await page.waitForFunction(() => !document.body.classList.contains('embed'));
  await page.goForward();
  await page.waitForFunction(() => document.body.classList.contains('embed'));
  assert.equal(await shownLoss(page) !== null, true);
  assertNoProblems(problems);
  await page.close();
});

test('the soft-edge and all-cells switches show their effect at once', async () => {
  const { page, problems } = await openApp(browser.context);
  const target = page.locator('.note.target');
  assert.match(await target.innerText(), /this cell's prediction/);
  await page.check('#helper-all');
  await settle(page);
  assert.match(await target.innerText(), /every prediction/);
  await page.uncheck('#soft');
  await settle(page);
  assert.equal(await page.isChecked('#soft'), false);
  assertNoProblems(problems);
  await page.close();
});
