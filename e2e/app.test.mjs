// The page loads cleanly; painting with real pointer events changes the tensors and the
// loss; undo and redo restore the loss.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sharedBrowser,
  openApp,
  assertNoProblems,
  shownLoss,
  waitLossChange,
  cliInput,
  flatIndex,
  stroke,
  settle,
  assertLossMatchesNative,
  viewGeometry,
  pixelCentre,
} from './helpers.mjs';

const browser = sharedBrowser();

// A horizontal line of pixels in the lower left of image 0, away from the default blob.
const STROKE = [
  [27, 3],
  [27, 6],
  [27, 9],
  [27, 12],
];

test('the page loads, draws, and logs no errors', async () => {
  const { page, problems } = await openApp(browser.context);
  const input = await cliInput(page);
  assert.deepEqual(input.shape, [3, 2, 32, 32], 'the first page: a labelled, a missing and an empty image, C=2, 32×32');
  // nnU-Net's soft Dice leaves the background out: its column is folded into a note.
  for (const kind of ['label', 'pred', 'grad']) {
    for (let b = 0; b < 3; b++) {
      for (const c of [1]) {
        const el = page.locator(`[data-testid="${kind}-${b}-${c}"]`);
        assert.equal(await el.count(), 1, `one ${kind}-${b}-${c} view`);
        assert.ok(await el.isVisible(), `${kind}-${b}-${c} is visible`);
        const { w, h } = await el.evaluate((e) => ({ w: e.width, h: e.height }));
        assert.deepEqual([h, w], [32, 32], `${kind}-${b}-${c} has H×W pixels`);
      }
    }
  }
  const loss = await shownLoss(page);
  assert.ok(loss !== null && loss > 0 && loss < 1, `default loss ${loss} in (0, 1)`);
  await assertLossMatchesNative(page, 'default page');
  await settle(page);
  assertNoProblems(problems);
  await page.close();
});

test('painting the label with the pointer makes those pixels foreground', async () => {
  const { page, problems } = await openApp(browser.context);
  const before = await cliInput(page);
  const loss0 = await shownLoss(page);
  for (const [i, j] of STROKE) {
    assert.equal(before.y[flatIndex(before.shape, 0, 1, i, j)], 0, `(${i},${j}) starts as background`);
  }
  await stroke(page, 'label-0-1', STROKE);
  const loss1 = await waitLossChange(page, loss0, 'a label stroke');
  const after = await cliInput(page);
  // Every pixel the pointer passed over, including those between the sampled points.
  for (let j = STROKE[0][1]; j <= STROKE.at(-1)[1]; j++) {
    assert.equal(after.y[flatIndex(after.shape, 0, 1, 27, j)], 1, `label (27,${j}) is now 1`);
  }
  // Another image is untouched.
  const other = (t) => t.y.slice(flatIndex(t.shape, 1, 0, 0, 0));
  assert.deepEqual(other(after), other(before), 'image 1 is unchanged');
  assert.notEqual(loss1, loss0);
  await assertLossMatchesNative(page, 'after a label stroke');
  assertNoProblems(problems);
  await page.close();
});

test('painting the prediction with the pointer raises it there', async () => {
  const { page, problems } = await openApp(browser.context);
  const before = await cliInput(page);
  const loss0 = await shownLoss(page);
  await stroke(page, 'pred-0-1', STROKE);
  await waitLossChange(page, loss0, 'a prediction stroke');
  const after = await cliInput(page);
  for (let j = STROKE[0][1]; j <= STROKE.at(-1)[1]; j++) {
    const k = flatIndex(after.shape, 0, 1, 27, j);
    assert.ok(after.pred[k] > before.pred[k], `prediction (27,${j}) rose: ${before.pred[k]} → ${after.pred[k]}`);
  }
  assert.deepEqual(after.y, before.y, 'painting the prediction leaves the labels alone');
  await assertLossMatchesNative(page, 'after a prediction stroke');
  assertNoProblems(problems);
  await page.close();
});

test('Ctrl+Z undoes a stroke and Ctrl+Shift+Z redoes it', async () => {
  const { page, problems } = await openApp(browser.context);
  const loss0 = await shownLoss(page);
  const input0 = await cliInput(page);
  await stroke(page, 'label-0-1', STROKE);
  const loss1 = await waitLossChange(page, loss0, 'a label stroke');
  const input1 = await cliInput(page);

  await page.keyboard.press('Control+z');
  assert.equal(await waitLossChange(page, loss1, 'Ctrl+Z'), loss0, 'undo restores the loss');
  assert.deepEqual(await cliInput(page), input0, 'undo restores the tensors');

  await page.keyboard.press('Control+Shift+z');
  assert.equal(await waitLossChange(page, loss0, 'Ctrl+Shift+Z'), loss1, 'redo restores the new loss');
  assert.deepEqual(await cliInput(page), input1, 'redo restores the stroke');
  assertNoProblems(problems);
  await page.close();
});

test('a cancelled stroke (pointercancel) is undone, not kept', async () => {
  const { page, problems } = await openApp(browser.context);
  const loss0 = await shownLoss(page);
  const input0 = await cliInput(page);
  await page.evaluate(() => {
    document.addEventListener('pointerdown', (e) => (window.__pid = e.pointerId), { capture: true });
  });
  for (const testid of ['label-0-1', 'pred-0-1']) {
    const geom = await viewGeometry(page, testid);
    const pts = STROKE.map(([i, j]) => pixelCentre(geom, i, j));
    await page.mouse.move(pts[0].x, pts[0].y);
    await page.mouse.down();
    for (const p of pts.slice(1)) await page.mouse.move(p.x, p.y, { steps: 4 });
    await settle(page);
    assert.notEqual(await shownLoss(page), loss0, `${testid}: the partial stroke shows while painting`);
    // The system takes the pointer away (e.g. a touch turned into a scroll).
    await geom.loc.evaluate((el) =>
      el.dispatchEvent(new PointerEvent('pointercancel', { pointerId: window.__pid, bubbles: true })),
    );
    await settle(page);
    await page.mouse.up();
    await settle(page);
    assert.equal(await shownLoss(page), loss0, `${testid}: the loss is back`);
    assert.deepEqual(await cliInput(page), input0, `${testid}: the tensors are back`);
    assert.equal(await page.isDisabled('#undo'), true, `${testid}: nothing to undo`);
  }
  // A normal stroke afterwards still works and is one undo step.
  await stroke(page, 'label-0-1', STROKE);
  const loss1 = await waitLossChange(page, loss0, 'a stroke after the cancelled ones');
  await page.keyboard.press('Control+z');
  assert.equal(await waitLossChange(page, loss1, 'Ctrl+Z'), loss0);
  assertNoProblems(problems);
  await page.close();
});
