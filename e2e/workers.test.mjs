// Workers that cannot start say so. The page is served from a copy of dist/ whose worker
// modules are corrupt (their .wasm is junk, so the worker script loads but its module
// does not): "Your data", "Paste your loss" and the Experiment panel each show that the
// worker could not start, stay usable, and start a new worker on the next try.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedBrowser, openApp, settle } from './helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The built page (scripts/test builds it there). */
const DIST = process.env.E2E_DIST ?? path.join(ROOT, 'dist');

const browser = sharedBrowser();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dice-workers-'));
const site = path.join(dir, 'dist');
let server;
let url;

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
};

before(async () => {
  fs.cpSync(DIST, site, { recursive: true });
  for (const name of ['paste_worker_bg.wasm', 'experiment_worker_bg.wasm']) {
    const file = path.join(site, name);
    assert.ok(fs.existsSync(file), `${name} is in ${DIST}`);
    fs.writeFileSync(file, 'not a wasm module');
  }
  server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.join(site, rel === '/' ? 'index.html' : rel);
    if (!file.startsWith(site) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${server.address().port}/`;
});

after(() => {
  server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Workers of script `name` the page starts, as the browser sees them. */
function countWorkers(page, name) {
  const seen = [];
  page.on('worker', (w) => {
    if (w.url().includes(name)) seen.push(w);
  });
  return seen;
}

/** Waits until the status line `testid` has drawn an answer; returns it. */
async function answer(page, testid) {
  await page.waitForFunction(
    (id) => document.querySelector(`[data-testid="${id}"]`).dataset.pending === 'false',
    testid,
    { timeout: 30_000 },
  );
  await settle(page);
  const s = page.locator(`[data-testid="${testid}"]`);
  return { text: await s.innerText(), error: (await s.getAttribute('data-error')) === 'true' };
}

/** A tiny .npy file (float64, shape [1, 1, 8, 8]). */
function npy(name, value) {
  let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 8, 8), }";
  while ((10 + dict.length + 1) % 64 !== 0) dict += ' ';
  dict += '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head, 0);
  head[6] = 1;
  head.writeUInt16LE(dict.length, 8);
  const data = Buffer.alloc(64 * 8);
  for (let k = 0; k < 64; k++) data.writeDoubleLE(value, k * 8);
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(dict, 'latin1'), data]));
  return file;
}

test('Your data and Paste your loss say their worker could not start, and try again', async () => {
  const { page } = await openApp(browser.context, url);
  const workers = countWorkers(page, 'paste_worker');
  const loss = await page.getAttribute('#loss-value', 'data-value');
  for (const attempt of [1, 2]) {
    await page.evaluate(() => {
      document.querySelector('[data-testid="yourdata-status"]').dataset.pending = 'true';
    });
    // Other files each time (the same ones again would not be a change of the input).
    const files = [npy(`gt${attempt}.npy`, 1), npy(`pred${attempt}.npy`, 0.5)];
    await page.setInputFiles('[data-testid="yourdata-files"]', files);
    const r = await answer(page, 'yourdata-status');
    assert.equal(r.error, true, r.text);
    assert.match(r.text, /The files were not opened: the worker could not start: .+ The scene is unchanged\./);
    assert.ok(await page.locator('[data-testid="yourdata-files"]').isEnabled());
    // The dead worker was dropped: this try started its own.
    assert.equal(workers.length, attempt, `workers started after try ${attempt}`);
  }
  assert.equal(await page.getAttribute('#loss-value', 'data-value'), loss, 'the scene is unchanged');
  await page.fill('[data-testid="paste-loss"]', 'monai.losses.DiceLoss(softmax=True)');
  await page.click('[data-testid="paste-loss-apply"]');
  const p = await answer(page, 'paste-loss-status');
  assert.equal(p.error, true, p.text);
  assert.match(p.text, /could not start: .+ Press Apply to try again/);
  assert.equal(workers.length, 3, 'the paste panel started its own worker');
  await page.close();
});

test('the Experiment panel says its worker could not start; Run starts a new one', async () => {
  const { page } = await openApp(browser.context, url);
  const workers = countWorkers(page, 'experiment_worker');
  const panel = page.locator('[data-testid="experiment-panel"]');
  await panel.scrollIntoViewIfNeeded();
  await page.selectOption('[data-testid="experiment-scale"]', 'quick');
  for (const attempt of [1, 2]) {
    await page.click('[data-testid="experiment-run"]');
    // This Run's worker first: until the click's frame the panel still says the last
    // Run failed.
    for (const t0 = Date.now(); workers.length < attempt; await page.waitForTimeout(50)) {
      assert.ok(Date.now() - t0 < 30_000, `a worker starts for Run ${attempt}`);
    }
    await page.waitForFunction(
      () => document.querySelector('[data-testid="experiment-panel"]').dataset.state === 'failed',
      null,
      { timeout: 30_000 },
    );
    const status = await page.locator('[data-testid="experiment-status"]').innerText();
    assert.match(status, /The experiment did not run: the worker could not start: ./);
    assert.ok(await page.locator('[data-testid="experiment-run"]').isEnabled(), 'Run is usable');
    assert.equal(workers.length, attempt, `workers started after Run ${attempt}`);
  }
  await page.close();
});
