// The state lives in the URL hash: a reload (or a shared link) reproduces the page, and a
// broken link gives a message, not a dead page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import {
  BASE_URL,
  sharedBrowser,
  openApp,
  assertNoProblems,
  shownLoss,
  waitLossChange,
  waitReady,
  cliInput,
  stroke,
  assertLossMatchesNative,
  typeEps,
  twoLabelledUrl,
} from './helpers.mjs';

const browser = sharedBrowser();

test('a reload restores the state from the URL hash', async () => {
  const { page, problems } = await openApp(browser.context, twoLabelledUrl());
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
  assert.deepEqual(input.shape, [3, 2, 32, 32], 'the default scene is shown');
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

/** The page state inside a saved-page hash: base64url(raw deflate(JSON)). */
function decodeHash(hash) {
  return JSON.parse(zlib.inflateRawSync(Buffer.from(hash.replace(/^#/, ''), 'base64url')).toString('utf8'));
}

function encodeHash(wire) {
  return `#${zlib.deflateRawSync(Buffer.from(JSON.stringify(wire))).toString('base64url')}`;
}

test('links the controls cannot make open as the nearest page they can', async () => {
  const first = await openApp(browser.context);
  const wire = decodeHash(await first.page.evaluate(() => window.diceDebug.hash()));
  await first.page.close();

  // Softmax with independent classes: the engine refuses it, so the link opens with
  // exclusive classes (as choosing softmax in the controls does).
  const softmax = { ...wire, ex: false, s: { ...wire.s, activation: 'softmax' } };
  const a = await openApp(browser.context, new URL(encodeHash(softmax), BASE_URL).href);
  assert.ok((await shownLoss(a.page)) !== null, 'a loss is shown');
  assert.equal(await a.page.isChecked('#exclusive'), true, 'exclusive classes');
  assert.equal(await a.page.inputValue('#activation'), 'softmax');
  await assertLossMatchesNative(a.page, 'softmax link with independent classes');
  assert.ok(await a.page.locator('#notice').isHidden(), 'no error notice');
  assertNoProblems(a.problems);
  await a.page.close();

  // H = W = 20 is valid but not one of the offered sizes: the size select offers it.
  const n = 20;
  const len = 1 * 2 * n * n;
  const bits = Buffer.alloc(Math.ceil(len / 8));
  const levels = Buffer.alloc(2 * len);
  for (let k = n * n; k < len; k++) {
    // Class 1: a square in the middle; predicted 0.6 there.
    const i = Math.floor((k - n * n) / n);
    const j = (k - n * n) % n;
    if (i >= 5 && i < 12 && j >= 5 && j < 12) {
      bits[k >> 3] |= 1 << (k & 7);
      levels.writeUInt16LE(6000, 2 * k);
    }
  }
  const odd = { ...wire, b: 1, c: 2, n, st: 'aa', y: bits.toString('base64url'), p: levels.toString('base64url') };
  const b = await openApp(browser.context, new URL(encodeHash(odd), BASE_URL).href);
  assert.equal(await b.page.getAttribute('#grid', 'data-n'), '20');
  assert.equal(await b.page.inputValue('#size-n'), '20', 'the size select shows the link’s size');
  assert.equal(await b.page.locator('#size-n option:checked').innerText(), '20×20');
  const input = await cliInput(b.page);
  assert.deepEqual(input.shape, [1, 2, 20, 20]);
  // Exclusive: class 0 is the rest, and predictions sum to 1.
  assert.equal(input.y[0], 1, 'background where class 1 is not painted');
  assert.equal(input.pred[0], 1);
  await assertLossMatchesNative(b.page, '20×20 link');
  // Going to an offered size and back works.
  await b.page.selectOption('#size-n', '32');
  await b.page.waitForFunction(() => document.querySelector('#grid')?.dataset.n === '32');
  await b.page.selectOption('#size-n', '20');
  await b.page.waitForFunction(() => document.querySelector('#grid')?.dataset.n === '20');
  assertNoProblems(b.problems);
  await b.page.close();
});

test('an old (format 1) link keeps every digit of ε and the floor', async () => {
  const first = await openApp(browser.context);
  const wire = decodeHash(await first.page.evaluate(() => window.diceDebug.hash()));
  await first.page.close();
  // Values whose 17 digits a best-effort decimal reader gets one unit in the last place
  // wrong (the page's JSON reader is built without exact float parsing).
  const s = { ...wire.s, eps_nr: 4.7263513513513517e-7, eps_dr: 2.748695652173913e-11, denominator_floor: 1.7301204819277105e-6 };
  const { page, problems } = await openApp(browser.context, new URL(encodeHash({ ...wire, s }), BASE_URL).href);
  const input = await cliInput(page);
  assert.equal(input.eps_nr, s.eps_nr);
  assert.equal(input.eps_dr, s.eps_dr);
  assert.equal(input.denominator_floor, s.denominator_floor);
  assertNoProblems(problems);
  await page.close();
});
