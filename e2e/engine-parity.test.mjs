// The page's loss equals the native engine's (`target/release/dice eval -`) for every Φ
// and several ε typed by hand; the gradient view has the paper's sign pattern.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch,
  openApp,
  assertNoProblems,
  cliInput,
  nativeEval,
  flatIndex,
  settle,
  assertClose,
  assertLossMatchesNative,
  typeEps,
} from './helpers.mjs';

const PHIS = ['I', 'CI', 'BI', 'BCI'];
const EPSILONS = ['1e-7', '0', '100'];

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function choosePhi(page, phi) {
  await page.click(`[data-phi="${phi}"]`);
  await settle(page);
  const input = await cliInput(page);
  assert.equal(input.phi ?? 'I', phi, `after clicking Φ=${phi}, cliInput has phi ${input.phi}`);
}

async function setEps(page, text) {
  await typeEps(page, text);
  const input = await cliInput(page);
  const want = Number(text);
  for (const k of ['eps_nr', 'eps_dr']) {
    assert.ok(k in input, `cliInput has ${k}`);
    assert.equal(input[k], want, `after typing ε=${text}, cliInput ${k} = ${input[k]}`);
  }
}

test('loss equals the native engine after every Φ click and ε entry', async () => {
  const { page, problems } = await openApp(browser.context);
  await assertLossMatchesNative(page, 'default page');
  for (const phi of PHIS) {
    await choosePhi(page, phi);
    await assertLossMatchesNative(page, `Φ=${phi}`);
    for (const eps of EPSILONS) {
      await setEps(page, eps);
      await assertLossMatchesNative(page, `Φ=${phi}, ε=${eps}`);
    }
  }
  // And back through the Φ buttons at the last ε, in another order.
  for (const phi of ['BCI', 'I', 'BI', 'CI']) {
    await choosePhi(page, phi);
    await assertLossMatchesNative(page, `Φ=${phi}, ε=100 (second pass)`);
  }
  assertNoProblems(problems);
  await page.close();
});

test('within one set, foreground and background pixels get gradients of opposite sign', async () => {
  const { page, problems } = await openApp(browser.context);
  await setEps(page, '1e-7');
  for (const phi of PHIS) {
    await choosePhi(page, phi);
    const input = await cliInput(page);
    const native = nativeEval(input);
    const [B, C, H, W] = input.shape;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        // One foreground and one background pixel of cell (b, c), as the loss sees them.
        let fg = null;
        let bg = null;
        for (let i = 0; i < H && !(fg && bg); i++) {
          for (let j = 0; j < W; j++) {
            const y = input.y[flatIndex(input.shape, b, c, i, j)];
            if (y === 1 && !fg) fg = [i, j];
            if (y === 0 && !bg) bg = [i, j];
          }
        }
        if (!fg || !bg) continue;
        const gFg = await page.evaluate(([b, c, i, j]) => window.diceDebug.gradAt(b, c, i, j), [b, c, ...fg]);
        const gBg = await page.evaluate(([b, c, i, j]) => window.diceDebug.gradAt(b, c, i, j), [b, c, ...bg]);
        const where = `Φ=${phi}, cell (${b},${c}), fg ${fg}, bg ${bg}`;
        assert.equal(typeof gFg, 'number', `${where}: gradAt(fg) is ${gFg}`);
        assert.equal(typeof gBg, 'number', `${where}: gradAt(bg) is ${gBg}`);
        assert.ok(gFg < 0, `${where}: foreground gradient ${gFg} < 0 (descent raises ỹ)`);
        assert.ok(gBg > 0, `${where}: background gradient ${gBg} > 0 (descent lowers ỹ)`);
        // The shown values are the engine's (no activation: ∂DL/∂ỹ).
        if ((input.activation ?? 'none') === 'none') {
          assertClose(gFg, native.grad[flatIndex(input.shape, b, c, ...fg)], 1e-9, `${where}: fg gradient`);
          assertClose(gBg, native.grad[flatIndex(input.shape, b, c, ...bg)], 1e-9, `${where}: bg gradient`);
        }
      }
    }
  }
  assertNoProblems(problems);
  await page.close();
});
