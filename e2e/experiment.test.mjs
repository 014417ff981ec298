// The Experiment panel: Run trains the ticked runs in a worker (progress bars, then the
// results table), and its result equals `dice experiment` on the same config; during a
// run the page's own module takes no training step and frames keep being drawn (counted
// by `diceDebug.experiment()`, not timed); Cancel stops the worker and a later Run starts
// a fresh one.

import fs from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DICE_BIN, sharedBrowser, openApp, assertNoProblems, assertClose } from './helpers.mjs';

const browser = sharedBrowser();

const debug = (page) => page.evaluate(() => window.diceDebug.experiment());

function nativeExperiment(config) {
  const r = spawnSync(DICE_BIN, ['experiment', '-'], {
    input: config,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`cannot run ${DICE_BIN}: ${r.error.message}`);
  assert.equal(r.status, 0, `dice experiment - failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Every number of two JSON values agrees to 1e-9 relative (the page's wasm and the
// native build may differ in the last bits of exp/ln); everything else is equal.
function assertSameResult(page, native, where) {
  if (typeof native === 'number') {
    assertClose(page, native, 1e-9, where);
  } else if (Array.isArray(native)) {
    assert.equal(page.length, native.length, `${where}: length`);
    native.forEach((v, k) => assertSameResult(page[k], v, `${where}[${k}]`));
  } else if (native && typeof native === 'object') {
    assert.deepEqual(Object.keys(page).sort(), Object.keys(native).sort(), `${where}: fields`);
    for (const k of Object.keys(native)) assertSameResult(page[k], native[k], `${where}.${k}`);
  } else {
    assert.equal(page, native, where);
  }
}

async function setUp(page, { scale, runs, batches }) {
  await page.locator('[data-testid="experiment-panel"]').scrollIntoViewIfNeeded();
  await page.selectOption('[data-testid="experiment-scale"]', scale);
  for (let i = 0; i < 7; i++) {
    await page.setChecked(`[data-testid="experiment-run-${i}"]`, runs.includes(i));
  }
  for (let i = 0; i < 4; i++) {
    await page.setChecked(`[data-testid="experiment-batch-${i}"]`, batches.includes(i));
  }
}

const waitState = (page, state, timeout = 60_000) =>
  page.waitForFunction(
    (s) => document.querySelector('[data-testid="experiment-panel"]')?.dataset.state === s,
    state,
    { timeout },
  );

test('Run trains in a worker: progress, the table, and the result of dice experiment', async () => {
  const { page, problems } = await openApp(browser.context);
  // I ε≈0 and BI ε≈0 at batch 8 and 1, quick: 4 runs of 100 steps on 16×16 images.
  await setUp(page, { scale: 'quick', runs: [0, 1], batches: [0, 3] });
  const before = await debug(page);
  assert.equal(before.state, 'idle');
  await page.click('[data-testid="experiment-run"]');
  await waitState(page, 'running', 5_000);
  assert.equal(await page.locator('[data-testid^="experiment-progress-"]').count(), 4);
  await waitState(page, 'done');
  const after = await debug(page);
  assert.equal(
    after.mainThreadSteps,
    before.mainThreadSteps,
    'no training step ran in the page itself',
  );
  assert.ok(after.frames - before.frames >= 5, `frames drawn during the run: ${after.frames}`);
  assert.ok(after.stepsPerSecond > 0);
  // Every bar full, one table row per run.
  for (let i = 0; i < 4; i++) {
    const bar = page.locator(`[data-testid="experiment-progress-${i}"]`);
    assert.equal(await bar.getAttribute('value'), '100');
  }
  const rows = page.locator('[data-testid="experiment-table"] tbody tr');
  assert.equal(await rows.count(), 4);
  assert.match(await rows.nth(0).innerText(), /I ε≈0 · batch 1/);
  const bars = page.locator('[data-testid="experiment-table"] tbody meter');
  // The page's result is the CLI's on the same config.
  const config = JSON.parse(after.config);
  assert.equal(config.steps, 100);
  assert.deepEqual(
    config.runs.map((r) => r.name),
    ['I ε≈0 · batch 1', 'I ε≈0 · batch 8', 'BI ε≈0 · batch 1', 'BI ε≈0 · batch 8'],
  );
  const native = nativeExperiment(after.config);
  const shown = JSON.parse(after.result);
  assertSameResult(shown, native, 'result');
  // BI at batch 1 is I at batch 1 (the sets of one image), in the page too.
  assert.equal(shown.runs[0].b_ratio, shown.runs[2].b_ratio);
  // b_ratio as a bar per run.
  for (let i = 0; i < 4; i++) {
    const v = Math.min(1, Math.max(0, shown.runs[i].b_ratio));
    assertClose(Number(await bars.nth(i).getAttribute('value')), v, 1e-12, `bar ${i}`);
  }
  // The CSV lists the runs with the result's numbers.
  const csv = after.csv.trim().split('\n');
  assert.equal(csv.length, 5);
  assert.equal(Number(csv[2].split(',')[1]), shown.runs[1].b_ratio);
  // "Save CSV" downloads exactly that table.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid="experiment-csv"]'),
  ]);
  assert.equal(download.suggestedFilename(), 'dice-experiment.csv');
  const saved = fs.readFileSync(await download.path(), 'utf8');
  assert.equal(saved, after.csv);
  assertNoProblems(problems);
  await page.close();
});

test('Cancel stops the worker mid-run; a later Run starts afresh', async () => {
  const { page, problems } = await openApp(browser.context);
  // The experiment workers the page starts, as the browser sees them (not as the page
  // says): Cancel must end the worker, and the next Run must start a new one.
  const workers = [];
  page.on('worker', (w) => {
    if (w.url().includes('experiment_worker')) workers.push(w);
  });
  // Seven runs at the standard scale: far longer than the test waits.
  await setUp(page, { scale: 'standard', runs: [0, 1, 2, 3, 4, 5, 6], batches: [3] });
  await page.click('[data-testid="experiment-run"]');
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="experiment-progress-0"]')?.value) > 0,
    null,
    { timeout: 30_000 },
  );
  // The choices wait while running.
  assert.ok(await page.locator('[data-testid="experiment-scale"]').isDisabled());
  assert.equal(workers.length, 1, 'one worker runs the job');
  const closed = new Promise((r) => workers[0].once('close', () => r(true)));
  await page.click('[data-testid="experiment-cancel"]');
  await waitState(page, 'cancelled', 5_000);
  const ended = await Promise.race([closed, page.waitForTimeout(5_000).then(() => false)]);
  assert.ok(ended, 'Cancel terminates the worker');
  const at = await page.locator('[data-testid="experiment-progress-0"]').getAttribute('value');
  await page.waitForTimeout(1500);
  const d = await debug(page);
  assert.equal(d.result, null);
  assert.equal(
    await page.locator('[data-testid="experiment-progress-0"]').getAttribute('value'),
    at,
    'nothing moves after Cancel',
  );
  assert.match(
    await page.locator('[data-testid="experiment-status"]').innerText(),
    /Cancelled after/,
  );
  // A fresh worker runs the next job to the end.
  await setUp(page, { scale: 'quick', runs: [2], batches: [3] });
  await page.click('[data-testid="experiment-run"]');
  await waitState(page, 'done');
  assert.equal(workers.length, 2, 'the next Run started a new worker');
  const done = await debug(page);
  assert.equal(JSON.parse(done.result).runs.length, 1);
  assertNoProblems(problems);
  await page.close();
});

test('the ε sweep trains Φ = I across the log grid and equals dice experiment', async () => {
  const { page, problems } = await openApp(browser.context);
  await setUp(page, { scale: 'quick', runs: [0], batches: [1, 3] });
  await page.click('[data-testid="experiment-sweep"]');
  await waitState(page, 'done');
  const d = await debug(page);
  const config = JSON.parse(d.config);
  assert.deepEqual(
    config.runs.map((r) => [r.phi, r.eps, r.batch_size]),
    [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e3, 1e4].map((e) => ['I', e, 8]),
  );
  assertSameResult(JSON.parse(d.result), nativeExperiment(d.config), 'sweep');
  assert.equal(await page.locator('[data-testid="experiment-table"] tbody meter').count(), 9);
  assertNoProblems(problems);
  await page.close();
});
