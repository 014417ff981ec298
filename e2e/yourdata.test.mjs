// "Your data": files the test writes itself (a NIfTI pair, an .npy pair with an integer
// class map, a volume larger than the page, a broken file) are opened through the file
// input, read in the browser by the on-demand worker, and shown: the page's loss equals
// `dice eval` on the same files with the page's settings; what is cropped or down-sampled
// is said; a bad file is a clear message and the page lives on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import {
  BASE_URL,
  DICE_BIN,
  sharedBrowser,
  openApp,
  assertNoProblems,
  cliInput,
  settle,
  shownLoss,
  assertClose,
  twoLabelledUrl,
} from './helpers.mjs';

const browser = sharedBrowser();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dice-yourdata-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** A .npy file (format 1.0) of `descr` ('<f8', '<i8', '|u1'), `shape` and `values`. */
function writeNpy(name, descr, shape, values) {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  while ((10 + dict.length + 1) % 64 !== 0) dict += ' ';
  dict += '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  const size = { '<f8': 8, '<i8': 8, '|u1': 1 }[descr];
  const data = Buffer.alloc(values.length * size);
  values.forEach((v, k) => {
    if (descr === '<f8') data.writeDoubleLE(v, k * 8);
    else if (descr === '<i8') data.writeBigInt64LE(BigInt(v), k * 8);
    else data[k] = v;
  });
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(dict, 'latin1'), data]));
  return file;
}

/** A NIfTI-1 single file of `dims` (x fastest), datatype 2 (uint8) or 64 (float64). */
function writeNifti(name, dims, code, values) {
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  h.writeInt16LE(dims.length, 40);
  dims.forEach((d, k) => h.writeInt16LE(d, 42 + 2 * k));
  h.writeInt16LE(code, 70);
  h.writeInt16LE(code === 2 ? 8 : 64, 72);
  h.writeFloatLE(352, 108);
  h.write('n+1\0', 344, 'latin1');
  const size = code === 2 ? 1 : 8;
  const data = Buffer.alloc(values.length * size);
  values.forEach((v, k) => (code === 2 ? (data[k] = v) : data.writeDoubleLE(v, k * 8)));
  let bytes = Buffer.concat([h, data]);
  if (name.endsWith('.gz')) bytes = zlib.gzipSync(bytes);
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Opens `files` through the panel's file input and waits for the worker's answer. */
async function open(page, files) {
  // Every answer drawn sets it back to "false" (also a refusal that needs no worker).
  await page.evaluate(() => {
    document.querySelector('[data-testid="yourdata-status"]').dataset.pending = 'true';
  });
  await page.setInputFiles('[data-testid="yourdata-files"]', files);
  await page.waitForFunction(
    () => {
      const s = document.querySelector('[data-testid="yourdata-status"]');
      return s.dataset.pending === 'false';
    },
    null,
    { timeout: 30000 },
  );
  await settle(page);
  const status = page.locator('[data-testid="yourdata-status"]');
  return {
    text: await status.innerText(),
    error: (await status.getAttribute('data-error')) === 'true',
    notes: await page.locator('[data-testid="yourdata-notes"]').innerText(),
  };
}

/** `dice eval` on the files with the page's loss settings (its input without tensors). */
async function evalFiles(page, args) {
  const input = await cliInput(page);
  for (const k of ['shape', 'y', 'pred', 'missing']) delete input[k];
  const r = spawnSync(DICE_BIN, ['eval', '-', ...args], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, `dice eval failed: ${r.stderr}`);
  return JSON.parse(r.stdout).loss;
}

// Probabilities on the page's 1e-4 grid (so the page holds exactly the file's values).
const prob = (k) => ((k * 7919) % 10001) / 10000;

test('a NIfTI pair opened in the page gives the loss dice eval gives on the same files', async () => {
  const { page, problems } = await openApp(browser.context, twoLabelledUrl());
  const before = await shownLoss(page);
  // A 24×24×1 uint8 mask (a square of ones) and float64 probabilities; x varies fastest.
  const n = 24;
  const mask = [];
  const p = [];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      mask.push(x >= 5 && x < 15 && y >= 8 && y < 20 ? 1 : 0);
      p.push(prob(y * n + x));
    }
  }
  const label = writeNifti('case_label.nii.gz', [n, n, 1], 2, mask);
  const pred = writeNifti('case_pred.nii', [n, n, 1], 64, p);
  const r = await open(page, [pred, label]);
  assert.equal(r.error, false, r.text);
  assert.match(r.text, /labels case_label\.nii\.gz and predictions case_pred\.nii: 1 image, 1 class, 24×24/);
  assert.equal(r.notes, '', 'nothing was cropped or rounded');
  const input = await cliInput(page);
  assert.deepEqual(input.shape, [1, 1, n, n]);
  // The page's y at (x = 5, y = 8) — row x, column y of the [1, 1, X, Y] image — is on.
  assert.equal(input.y[5 * n + 8], 1);
  const shown = await shownLoss(page);
  assert.notEqual(shown, before);
  const native = await evalFiles(page, ['--y', label, '--pred', pred]);
  assertClose(shown, native, 1e-12, 'the page and dice eval on the NIfTI pair');
  // The link says it holds the shown data; opening it was a new history entry: Back
  // returns to the scene before, Forward to the data.
  assert.ok(await page.locator('[data-testid="yourdata-link"]').isVisible());
  const shapeIs = (want) =>
    page.waitForFunction((w) => {
      const v = window.diceDebug.cliInput();
      const o = typeof v === 'string' ? JSON.parse(v) : v;
      return (o.shape.join() === w.shape.join()) === w.same;
    }, want);
  await page.goBack();
  assert.ok(
    page.url().startsWith(BASE_URL),
    `Back stays in the page (opening data was a history entry of its own): ${page.url()}`,
  );
  await shapeIs({ shape: [1, 1, n, n], same: false });
  await settle(page);
  assert.equal(await shownLoss(page), before, 'Back shows the scene before the data');
  await page.goForward();
  await shapeIs({ shape: [1, 1, n, n], same: true });
  await settle(page);
  assertClose(await shownLoss(page), native, 1e-12, 'Forward shows the data again');
  assertNoProblems(problems);
  await page.close();
});

test('an .npy pair with an integer class map and the class count matches dice eval --classes', async () => {
  const { page, problems } = await openApp(browser.context);
  const [B, C, n] = [2, 3, 16];
  const map = [];
  for (let b = 0; b < B; b++) for (let k = 0; k < n * n; k++) map.push((k + b) % 7 < 3 ? 0 : ((k >> 4) + b) % 3);
  // Softmax-like probabilities: each pixel's three classes sum to 1 on the grid.
  const p = new Array(B * C * n * n).fill(0);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < n * n; k++) {
      const a = ((k * 37 + b * 11) % 60) / 100;
      const c = ((k * 13) % 30) / 100;
      p[(b * C + 0) * n * n + k] = a;
      p[(b * C + 1) * n * n + k] = c;
      p[(b * C + 2) * n * n + k] = Math.round((1 - a - c) * 100) / 100;
    }
  }
  const labels = writeNpy('labels.npy', '<i8', [B, n, n], map);
  const preds = writeNpy('probs.npy', '<f8', [B, C, n, n], p);
  // Without the class count: the page says what the labels look like.
  let r = await open(page, [labels, preds]);
  assert.equal(r.error, true);
  assert.match(r.text, /class-index map.*class count, 3/);
  await page.fill('[data-testid="yourdata-classes"]', '3');
  await page.dispatchEvent('[data-testid="yourdata-classes"]', 'change');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="yourdata-status"]').dataset.error === 'false',
  );
  await settle(page);
  r = {
    text: await page.locator('[data-testid="yourdata-status"]').innerText(),
  };
  assert.match(r.text, /2 images, 3 classes, 16×16/);
  const native = await evalFiles(page, ['--y', labels, '--pred', preds, '--classes', '3']);
  assertClose(await shownLoss(page), native, 1e-12, 'the page and dice eval --classes 3');
  assertNoProblems(problems);
  await page.close();
});

test('a volume larger than the page is sliced, cropped and down-sampled, and it says so', async () => {
  const { page, problems } = await openApp(browser.context);
  const [D, H, W] = [3, 300, 280];
  const y = new Array(D * H * W).fill(0).map((_, k) => ((k % W) > 100 && (k % W) < 180 ? 1 : 0));
  const p = y.map((v) => (v ? 0.8 : 0.1));
  const r = await open(page, [
    writeNpy('big_gt.npy', '|u1', [1, 1, D, H, W], y),
    writeNpy('big_out.npy', '<f8', [1, 1, D, H, W], p),
  ]);
  assert.equal(r.error, false, r.text);
  assert.match(r.text, /93×93 pixels/);
  assert.match(r.notes, /Slice 1 of 3/);
  assert.match(r.notes, /central 279×279 of the 300×280/);
  assert.match(r.notes, /Down-sampled 3×/);
  assert.ok(await page.locator('[data-testid="yourdata-slice"]').isVisible());
  assertNoProblems(problems);
  await page.close();
});

test('a broken file is a clear message and the page lives on', async () => {
  const { page, problems } = await openApp(browser.context);
  const loss = await shownLoss(page);
  const junk = path.join(dir, 'labels.npy');
  fs.writeFileSync(junk, 'this is not an array');
  const good = writeNpy('pred.npy', '<f8', [1, 1, 8, 8], new Array(64).fill(0.5));
  const r = await open(page, [junk, good]);
  assert.equal(r.error, true);
  assert.match(
    r.text,
    /^The files were not opened: `y` from "labels\.npy": not a \.npy array.*The scene is unchanged\.$/,
  );
  // One file that is not an .npz: the page asks for two.
  const one = await open(page, [good]);
  assert.match(one.text, /give two files/);
  // The scene is untouched and the page still answers.
  assert.equal(await shownLoss(page), loss);
  assert.equal(typeof (await cliInput(page)).shape, 'object');
  assertNoProblems(problems);
  await page.close();
});

test('a failed read after data was shown keeps the scene and says which data is still open', async () => {
  const { page, problems } = await openApp(browser.context);
  const y = writeNpy('kept_gt.npy', '|u1', [1, 1, 8, 8], new Array(64).fill(0).map((_, k) => k % 2));
  const p = writeNpy('kept_pred.npy', '<f8', [1, 1, 8, 8], new Array(64).fill(0.25));
  const shown = await open(page, [y, p]);
  assert.equal(shown.error, false, shown.text);
  const loss = await shownLoss(page);
  const input = await cliInput(page);
  const junk = path.join(dir, 'junk_gt.npy');
  fs.writeFileSync(junk, 'not an array either');
  const r = await open(page, [junk, p]);
  assert.equal(r.error, true);
  assert.match(r.text, /^The files were not opened: .*junk_gt\.npy/);
  assert.match(r.text, /The scene is unchanged; the data last opened is labels kept_gt\.npy and predictions kept_pred\.npy\.$/);
  assert.equal(await shownLoss(page), loss);
  assert.deepEqual(await cliInput(page), input, 'the scene is the data shown before');
  assertNoProblems(problems);
  await page.close();
});
