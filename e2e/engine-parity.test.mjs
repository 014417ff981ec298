// The page's loss equals the native engine's (`target/release/dice eval -`) for every Φ
// and several ε typed by hand; the gradient view has the paper's sign pattern.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sharedBrowser,
  openApp,
  BASE_URL,
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

const browser = sharedBrowser();

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
  // MONAI's defaults (no activation, the background in the loss): the first page's scene
  // with every class's ∂DL/∂ỹ shown as the engine computes it.
  const { page, problems } = await openApp(browser.context, new URL('#preset=monai', BASE_URL).href);
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

test('ε typed at machine speed on a large page is taken as typed', async () => {
  const { page, problems } = await openApp(browser.context);
  // 8×4×128: every frame takes a while, so frames run between the keys.
  await page.selectOption('#size-n', '128');
  await page.selectOption('#size-c', '4');
  await page.selectOption('#size-b', '8');
  await page.waitForFunction(() => document.querySelector('#grid')?.dataset.b === '8' && document.querySelector('#grid')?.dataset.n === '128', null, {
    timeout: 20_000,
  });
  await settle(page);
  for (const [text, want] of [
    ['1e-7', 1e-7],
    ['2.5e-3', 2.5e-3],
    ['1e-7', 1e-7],
  ]) {
    const field = page.locator('#eps');
    await field.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(text); // no delay
    assert.equal(await field.inputValue(), text, `the field still says what was typed (${text})`);
    await page.keyboard.press('Enter');
    await settle(page);
    assert.equal(await field.inputValue(), text, `after Enter the field says ${text}`);
    assert.equal(await page.locator('#eps').evaluate((el) => el.classList.contains('invalid')), false, `${text} is not refused`);
    const input = await cliInput(page);
    assert.equal(input.eps_nr, want, `ε_nr after typing ${text}`);
    assert.equal(input.eps_dr, want, `ε_dr after typing ${text}`);
    await assertLossMatchesNative(page, `8×4×128, ε=${text}`);
  }
  // Leaving the field shows the value in its usual form.
  const field = page.locator('#eps');
  await field.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('1E-07');
  await page.keyboard.press('Tab');
  await settle(page);
  assert.equal(await field.inputValue(), '1e-7', 'after blur the field is re-synced');
  // A refused entry keeps its text and message after blur, so it can be corrected.
  await field.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('1e-7x');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await settle(page);
  assert.equal(await field.inputValue(), '1e-7x', 'the refused text stays');
  assert.equal(await field.evaluate((el) => el.classList.contains('invalid')), true, 'marked invalid');
  assert.match(await page.locator('#eps ~ .msg, .eps-box .msg').first().innerText(), /not a number/);
  assert.equal((await cliInput(page)).eps_nr, 1e-7, 'ε is unchanged');
  assertNoProblems(problems);
  await page.close();
});

/** Up to three pixels of cell (b, c): one with y = 1, one with y = 0, one with 0 < ỹ < 1. */
function samplePixels(input, b, c) {
  const [, , H, W] = input.shape;
  const picks = [];
  const want = [
    (y) => y === 1,
    (y) => y === 0,
    (y, p) => p > 0.05 && p < 0.95,
  ];
  for (const ok of want) {
    let found = null;
    for (let i = 0; i < H && !found; i++) {
      for (let j = 0; j < W; j++) {
        const k = flatIndex(input.shape, b, c, i, j);
        if (ok(input.y[k], input.pred[k])) {
          found = [i, j];
          break;
        }
      }
    }
    if (found) picks.push(found);
  }
  return picks;
}

const gradAt = (page, b, c, i, j) => page.evaluate(([b, c, i, j]) => window.diceDebug.gradAt(b, c, i, j), [b, c, i, j]);

test('with an activation the shown gradient is ∂L/∂z by the chain rule, ∂L/∂ỹ with the logit view off', async () => {
  const { page, problems } = await openApp(browser.context);
  await setEps(page, '1e-7');
  for (const act of ['sigmoid', 'softmax']) {
    await page.selectOption('#activation', act);
    await page.waitForFunction((a) => document.querySelector('#loss-sub')?.textContent.includes(a), act, { timeout: 5_000 });
    await settle(page);
    if (!(await page.isChecked('#logit-grad'))) await page.check('#logit-grad');
    await settle(page);
    assert.match(await page.locator('.col-head .sub-head').nth(2).innerText(), /∂L\/∂z/, `${act}: the views say ∂L/∂z`);
    // The page feeds probabilities: the CLI gives ∂L/∂ỹ (grad_prob) for them.
    const input = await cliInput(page);
    assert.equal(input.activation, 'none');
    const native = nativeEval(input);
    const [B, C] = input.shape;
    let checked = 0;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        for (const [i, j] of samplePixels(input, b, c)) {
          const k = flatIndex(input.shape, b, c, i, j);
          const p = input.pred[k];
          const g = native.grad_prob[k];
          let want;
          if (act === 'sigmoid') {
            want = g * (p * (1 - p));
          } else {
            // ∂L/∂z_c = ỹ_c·(g_c − Σ_k ỹ_k g_k), summed in class order like the engine.
            let dot = 0;
            for (let kc = 0; kc < C; kc++) {
              const kk = flatIndex(input.shape, b, kc, i, j);
              dot += native.grad_prob[kk] * input.pred[kk];
            }
            want = p * (g - dot);
          }
          const shown = await gradAt(page, b, c, i, j);
          assert.equal(typeof shown, 'number', `${act} (${b},${c},${i},${j}): gradAt is ${shown}`);
          assertClose(shown, want, 1e-12, `${act}: ∂L/∂z at (${b},${c},${i},${j}), ỹ = ${p}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 8, `${act}: ${checked} pixels checked`);
    // The verdicts judge the push the loss gives the probabilities, not the ∂L/∂z shown,
    // and the badge and legend say so.
    const tip = await page.getAttribute('[data-testid="verdict-0-1"]', 'title');
    assert.match(tip, /judged on the push the loss gives the probabilities.*not the ∂L\/∂z the gradient view shows/, tip);
    assert.match(await page.locator('.legend-note').innerText(), /judged on the push the loss gives the probabilities.*not on the ∂L\/∂z/);

    // The logit view off: the probabilities' gradient, as the engine gives it.
    await page.uncheck('#logit-grad');
    await settle(page);
    assert.match(await page.locator('.col-head .sub-head').nth(2).innerText(), /∂L\/∂ỹ/);
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        for (const [i, j] of samplePixels(input, b, c)) {
          const k = flatIndex(input.shape, b, c, i, j);
          assertClose(await gradAt(page, b, c, i, j), native.grad_prob[k], 1e-12, `${act}, logit view off: ∂L/∂ỹ at (${b},${c},${i},${j})`);
        }
      }
    }
    assert.doesNotMatch(await page.getAttribute('[data-testid="verdict-0-1"]', 'title'), /∂L\/∂z/);
    await page.check('#logit-grad');
    await settle(page);
    await assertLossMatchesNative(page, `activation ${act}`);
  }
  assertNoProblems(problems);
  await page.close();
});

test('ε_nr > ε_dr: the page and the CLI say that the loss can leave [0, 1]', async () => {
  const { page, problems } = await openApp(browser.context);
  assert.equal(await page.locator('#loss-why').innerText(), '', 'no warning with ε_nr = ε_dr');
  await page.check('#eps-separate');
  await page.locator('#eps-dr').fill('1e-7');
  await page.locator('#eps-dr').press('Enter');
  await settle(page);
  const input = await cliInput(page);
  assert.ok(input.eps_nr > input.eps_dr, 'ε_nr > ε_dr');
  const shown = await page.locator('#loss-why').innerText();
  assert.match(shown, /ε_nr > ε_dr: a set can score above 1/);
  assert.match(shown, /bounded below only by -99(?![0-9.])/);
  assert.equal(nativeEval(input).loss_range_warning, shown, 'the CLI says the same sentence');
  await page.locator('#eps-dr').fill('1');
  await page.locator('#eps-dr').press('Enter');
  await settle(page);
  assert.equal(await page.locator('#loss-why').innerText(), '', 'gone again with ε_nr ≤ ε_dr');
  assertNoProblems(problems);
  await page.close();
});
