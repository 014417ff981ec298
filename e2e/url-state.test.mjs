// The state lives in the URL hash: a reload (or a shared link) reproduces the page, and a
// broken link gives a message, not a dead page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL,
  launch,
  openApp,
  assertNoProblems,
  shownLoss,
  waitLossChange,
  waitReady,
  cliInput,
  stroke,
  assertLossMatchesNative,
  typeEps,
} from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a reload restores the state from the URL hash', async () => {
  const { page, problems } = await openApp(browser.context);
  // Change tensors and settings away from the defaults.
  const loss0 = await shownLoss(page);
  await stroke(page, 'label-1-1', [
    [2, 2],
    [2, 8],
    [5, 8],
  ]);
  await waitLossChange(page, loss0, 'a label stroke');
  await page.click('[data-phi="BI"]');
  await typeEps(page, '100');
  const lossBefore = await shownLoss(page);
  const inputBefore = await cliInput(page);
  assert.equal(inputBefore.phi, 'BI');

  // The hash is written when the state changes.
  await page.waitForFunction(() => location.hash.length > 1, null, { timeout: 5_000 });
  const hash = await page.evaluate(() => location.hash);

  await page.reload();
  await waitReady(page, problems);
  assert.equal(await page.evaluate(() => location.hash), hash, 'the hash survives the reload');
  assert.equal(await shownLoss(page), lossBefore, 'same loss after reload');
  assert.deepEqual(await cliInput(page), inputBefore, 'same state after reload');

  // The same link in a new tab gives the same page, too.
  const second = await openApp(browser.context, new URL(hash, BASE_URL).href);
  assert.equal(await shownLoss(second.page), lossBefore, 'same loss from the link in a new tab');
  assert.deepEqual(await cliInput(second.page), inputBefore, 'same state from the link in a new tab');
  await assertLossMatchesNative(second.page, 'state restored from the link');
  assertNoProblems(second.problems);
  await second.page.close();

  assertNoProblems(problems);
  await page.close();
});

test('a garbage hash shows a message and a working page', async () => {
  const { page, problems } = await openApp(browser.context, new URL('#!!not-a-state!!', BASE_URL).href);
  // The message is shown in the notice bar, not as the fatal banner.
  const notice = page.locator('#notice');
  await notice.waitFor({ state: 'visible', timeout: 5_000 });
  const text = (await page.locator('#notice-text').innerText()).trim();
  assert.ok(text.length > 0, 'the notice says what is wrong');
  assert.match(text, /link/i, `the notice talks about the link: ${JSON.stringify(text)}`);
  assert.notEqual(await page.evaluate(() => document.body.dataset.error), 'true', 'no fatal error');
  // The page still works: the default scene, with a loss that matches the engine.
  const input = await cliInput(page);
  assert.deepEqual(input.shape, [2, 2, 32, 32], 'the default scene is shown');
  assert.ok((await shownLoss(page)) !== null, 'a loss is shown');
  await assertLossMatchesNative(page, 'page opened from a broken link');
  const loss0 = await shownLoss(page);
  await stroke(page, 'label-0-1', [
    [27, 3],
    [27, 9],
  ]);
  await waitLossChange(page, loss0, 'a stroke after the broken link');
  assertNoProblems(problems);
  await page.close();
});
