// Bad or heavy links the page must take cleanly: a trained link never blocks
// the page (the first frame comes before training, which then runs in slices between
// frames to the link's step, and Pause works), a training that cannot start says why and
// keeps saying it, percent-encoded keys open their page, Back to the first hash-less entry
// leaves it hash-less, and `diceDebug.cliInput()` describes the trained page it shows.
// No clock is read: the tests wait for states, never for times.

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
  waitReady,
  cliInput,
  nativeEval,
  assertClose,
  twoLabelledUrl,
} from './helpers.mjs';

const browser = sharedBrowser();

const url = (hash) => new URL(hash, BASE_URL).href;

async function step(page) {
  return Number(await page.getAttribute('[data-testid="train-count"]', 'data-step'));
}

/**
 * Opens `href` in a new page that records, before the app starts, the step counter at
 * the moment `body[data-ready]` turns "true" (`window.__readyStep`).
 */
async function openRecordingReady(href) {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  await page.addInitScript(() => {
    const watch = () => {
      new MutationObserver((_, obs) => {
        if (document.body.dataset.ready === 'true') {
          const c = document.querySelector('[data-testid="train-count"]');
          window.__readyStep = c ? Number(c.dataset.step) : null;
          window.__readyNotice = document.getElementById('notice')?.hidden === false
            ? document.getElementById('notice-text').textContent
            : null;
          obs.disconnect();
        }
      }).observe(document.body, { attributes: true, attributeFilter: ['data-ready'] });
    };
    if (document.body) watch();
    else document.addEventListener('DOMContentLoaded', watch);
  });
  await page.goto(href);
  await waitReady(page, problems);
  return { page, problems };
}

/** The link of a page set up by `setup` (after the address bar caught up). */
async function linkOf(setup, start) {
  const { page, problems } = await openApp(browser.context, start);
  await setup(page);
  await settle(page);
  await page.waitForFunction(() => location.hash.length > 1);
  const hash = await page.evaluate(() => location.hash);
  assertNoProblems(problems);
  await page.close();
  return hash;
}

function nativeTrain(input) {
  const out = spawnSync(DICE_BIN, ['train', '-'], { input: JSON.stringify(input), encoding: 'utf8' });
  assert.equal(out.status, 0, `dice train failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

test('&train=N on the largest page: the first frame comes before training, which moves between frames and pauses', async () => {
  const hash = await linkOf(async (page) => {
    await page.selectOption('#activation', 'softmax');
    await page.selectOption('#size-b', '8');
    await page.selectOption('#size-c', '4');
    await page.selectOption('#size-n', '128');
    await page.selectOption('#train-model', 'conv3x3');
  });
  const N = 20000;
  const { page, problems } = await openRecordingReady(url(`${hash}&train=${N}`));
  // Ready (views, badges, loss and matrix drawn) while the run has not reached N.
  const atReady = await page.evaluate(() => window.__readyStep);
  assert.ok(atReady !== null && atReady < N, `step at the first frame: ${atReady}`);
  assert.equal(await page.evaluate(() => window.__readyNotice), null, 'no notice');
  // The run goes on after the first frame: the counter moves.
  await page.waitForFunction(
    (s) => Number(document.querySelector('[data-testid="train-count"]').dataset.step) > s,
    atReady,
    { timeout: 120_000 },
  );
  // The link keeps the step it asks for while the run gets there.
  assert.ok((await page.evaluate(() => location.hash)).endsWith(`&train=${N}`));
  // Pause stops it short of N; the link then says where it is.
  await page.click('[data-testid="train-play"]');
  await settle(page);
  const paused = await step(page);
  await settle(page);
  await settle(page);
  assert.equal(await step(page), paused, 'paused');
  assert.ok(paused < N, `paused at ${paused}`);
  await page.waitForFunction((n) => location.hash.endsWith(`&train=${n}`), paused);
  assertNoProblems(problems);
  await page.close();
});

test('&train=N reaches N after the first frame and is the same trained page', async () => {
  const hash = await linkOf(async (page) => {
    await page.selectOption('#activation', 'sigmoid');
    await page.selectOption('#train-model', 'linear');
  });
  const N = 400;
  const { page, problems } = await openRecordingReady(url(`${hash}&train=${N}`));
  const atReady = await page.evaluate(() => window.__readyStep);
  assert.ok(atReady !== null && atReady < N, `step at the first frame: ${atReady}`);
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="train-count"]')?.dataset.step === String(n),
    N,
    { timeout: 120_000 },
  );
  await settle(page);
  assert.equal(await step(page), N, 'stops at the link\'s step');
  assert.equal(await page.getAttribute('[data-testid="train-play"]', 'data-playing'), 'false');
  const input = JSON.parse(await page.evaluate(() => window.diceDebug.trainInput()));
  assert.equal(input.steps, N);
  const native = nativeTrain(input);
  assertClose(await shownLoss(page), native.final_loss, 1e-12, `loss after ${N} steps`);
  assert.ok((await page.evaluate(() => location.hash)).endsWith(`&train=${N}`));
  assertNoProblems(problems);
  await page.close();
});

test('a trained link whose training cannot start says why, by the first frame, until closed', async () => {
  // MONAI's defaults have no activation: a shared model cannot train.
  const hash = await linkOf(async (page) => {
    await page.selectOption('#train-model', 'linear');
  }, twoLabelledUrl());
  const { page, problems } = await openRecordingReady(url(`${hash}&train=50`));
  const said = await page.evaluate(() => window.__readyNotice);
  assert.match(said ?? '', /^The link asks for 50 training steps, but training cannot start/);
  assert.match(said, /sigmoid or softmax/);
  assert.equal(await page.getAttribute('#notice', 'role'), 'status');
  await settle(page);
  await settle(page);
  assert.equal(await page.innerText('#notice-text'), said, 'kept');
  assert.equal(await step(page), 0);
  await page.click('#notice-close');
  await page.locator('#notice').waitFor({ state: 'hidden' });
  // The same link pasted into an open page (hashchange) says it too.
  await page.evaluate((h) => { location.hash = h; }, `${hash}&train=7`);
  await page.locator('#notice').waitFor({ state: 'visible' });
  assert.match(await page.innerText('#notice-text'), /^The link asks for 7 training steps, but training cannot start/);
  await settle(page);
  assert.match(await page.innerText('#notice-text'), /7 training steps/, 'kept after a frame');
  assertNoProblems(problems);
  await page.close();

  // A run that stops at step 0 (0/0 with the pixels model) says so the same way.
  const zero = await linkOf(async (p) => {
    await p.evaluate(() => { location.hash = '#preset=zero-over-zero'; });
    await p.locator('[data-testid="lesson"]').waitFor({ state: 'visible' });
    await p.selectOption('#train-model', 'pixels');
  });
  const second = await openRecordingReady(url(`${zero}&train=5`));
  const stopped = await second.page.evaluate(() => window.__readyNotice);
  assert.match(stopped ?? '', /^The link asks for 5 training steps, but training stopped at step 0: .*0\/0/);
  assertNoProblems(second.problems);
  await second.page.close();
});

test('percent-encoded link keys open their page', async () => {
  const { page, problems } = await openApp(browser.context, url('#%20preset%20=missing-I&%65mbed'));
  await page.locator('[data-testid="lesson"]').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#notice').isHidden(), true, 'no message');
  assert.equal(await page.evaluate(() => document.body.classList.contains('embed')), true, '&%65mbed is &embed');
  assertNoProblems(problems);
  await page.close();
});

test('Back to the first, hash-less entry shows the default page and leaves the address hash-less', async () => {
  const { page, problems } = await openApp(browser.context, BASE_URL);
  assert.equal(await page.evaluate(() => location.hash), '');
  const before = await shownLoss(page);
  await page.click('[data-testid="lesson-missing-I"]');
  await page.waitForFunction(() => location.hash === '#preset=missing-I');
  await page.goBack();
  await page.locator('[data-testid="lesson"]').waitFor({ state: 'hidden' });
  await settle(page);
  await settle(page);
  assert.equal(await page.evaluate(() => location.hash), '', 'still hash-less');
  assert.equal(await shownLoss(page), before, 'the default page');
  assert.equal(await page.locator('#notice').isHidden(), true);
  // Forward and Back again work as before.
  await page.goForward();
  await page.locator('[data-testid="lesson"]').waitFor({ state: 'visible' });
  await page.goBack();
  await page.locator('[data-testid="lesson"]').waitFor({ state: 'hidden' });
  await settle(page);
  assert.equal(await page.evaluate(() => location.hash), '');
  assertNoProblems(problems);
  await page.close();
});

test('diceDebug.cliInput() during training describes the trained page: dice eval gives its loss', async () => {
  const { page, problems } = await openApp(browser.context);
  await page.selectOption('#activation', 'softmax');
  await settle(page);
  for (let k = 0; k < 5; k++) await page.click('[data-testid="train-step"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="train-count"]')?.dataset.step === '5');
  await settle(page);
  const input = await cliInput(page);
  assert.equal(input.activation, 'softmax', 'the logits with the page\'s activation');
  const native = nativeEval(input);
  assertClose(await shownLoss(page), native.loss, 1e-12, 'trained loss');
  // After Reset it is the painted page again.
  await page.click('[data-testid="train-reset"]');
  await settle(page);
  assertClose(await shownLoss(page), nativeEval(await cliInput(page)).loss, 1e-12, 'painted loss');
  assertNoProblems(problems);
  await page.close();
});
