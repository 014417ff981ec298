// Hardening: the page carries a strict Content-Security-Policy, runs under it without a
// single violation, the policy is enforced (no eval, no injected inline script), and the
// only test hooks in the bundle are the documented read-only ones.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  BASE_URL,
  sharedBrowser,
  openApp,
  assertNoProblems,
  shownLoss,
  stroke,
  settle,
  typeEps,
} from './helpers.mjs';

const browser = sharedBrowser();

async function servedHtml() {
  const r = await fetch(BASE_URL);
  assert.equal(r.status, 200);
  return r.text();
}

/** The policy of the page's `<meta http-equiv="Content-Security-Policy">` as directive → sources. */
function policyOf(html) {
  // The release build's HTML is minified: attributes in any order, quotes optional.
  const value = (tag, name) => tag.match(new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i'))?.slice(1).find((v) => v !== undefined);
  const metas = [...html.matchAll(/<meta\b[^>]*>/gi)]
    .filter((m) => /^content-security-policy$/i.test(value(m[0], 'http-equiv') ?? ''))
    .map((m) => Object.assign([m[0], value(m[0], 'content') ?? ''], { index: m.index }));
  assert.equal(metas.length, 1, 'one Content-Security-Policy meta element');
  // It must come before anything it governs (the first script or linked resource).
  const at = metas[0].index;
  for (const tag of [/<script\b/i, /<link\b[^>]*\brel\s*=\s*["']?(?:stylesheet|modulepreload|preload)\b/i]) {
    const k = html.search(tag);
    if (k >= 0) assert.ok(at < k, `the policy comes before ${tag}`);
  }
  return new Map(
    metas[0][1]
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

test('the page carries a strict Content-Security-Policy naming its start-up script by hash', async () => {
  const html = await servedHtml();
  const policy = policyOf(html);
  assert.deepEqual(policy.get('default-src'), ["'none'"]);
  assert.deepEqual(policy.get('style-src'), ["'self'"], 'no inline styles');
  assert.deepEqual(policy.get('base-uri'), ["'none'"]);
  assert.deepEqual(policy.get('form-action'), ["'none'"]);
  const scripts = policy.get('script-src');
  assert.ok(scripts, 'a script-src directive');
  const hashes = scripts.filter((s) => s.startsWith("'sha256-"));
  assert.deepEqual(
    scripts.filter((s) => !s.startsWith("'sha256-")),
    ["'self'", "'wasm-unsafe-eval'"],
    "script-src is 'self', 'wasm-unsafe-eval' and hashes: no 'unsafe-inline', 'unsafe-eval' or hosts",
  );
  // Every inline script of the page is named by its hash (and nothing else is).
  const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.ok(inline.length >= 1, "trunk's start-up script is inline");
  const want = inline.map((body) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
  assert.deepEqual([...new Set(hashes)].sort(), [...new Set(want)].sort());
});

test('the page runs under the policy without violations, and the policy is enforced', async () => {
  const context = browser.context;
  // Collected from the start, before the app's own script runs.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample ?? ''}`.trim()),
    );
  });
  const { page, problems } = await openApp(context);
  // The things a visit does: paint, hover, Φ, ε, a set row, a lesson, the plots.
  const loss0 = await shownLoss(page);
  await stroke(page, 'pred-0-1', [
    [20, 4],
    [20, 12],
  ]);
  await page.hover('[data-testid="label-1-1"]');
  await page.click('[data-phi="BI"]');
  await typeEps(page, '0.01');
  await page.click('#sets-body tr[data-set="0"]');
  await page.click('[data-testid="lesson-empty-BI"]');
  await page.locator('[data-testid="lesson-text"]').waitFor({ state: 'visible' });
  await page.waitForTimeout(400); // the plots redraw after a short pause
  await settle(page);
  assert.notEqual(await shownLoss(page), loss0, 'the page answered');
  // The plot legends are coloured through the CSSOM, not inline style attributes.
  const swatch = await page
    .locator('#legend-loss .swatch[data-colour]')
    .first()
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(swatch, 'rgba(0, 0, 0, 0)', 'the legend swatches have their colours');
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'no CSP violations');
  assertNoProblems(problems);

  // Enforced: eval is refused, an injected inline script does not run and is reported.
  // (In a task of the page's own: the DevTools protocol's evaluation is exempt from the policy.)
  const evalResult = await page.evaluate(
    () =>
      new Promise((resolve) =>
        setTimeout(() => {
          try {
            // eslint-disable-next-line no-eval
            resolve(String(eval('1 + 1')));
          } catch (e) {
            resolve(e.name);
          }
        }, 0),
      ),
  );
  assert.equal(evalResult, 'EvalError', 'eval is refused');
  const injected = await page.evaluate(async () => {
    window.__injectedRan = false;
    const s = document.createElement('script');
    s.textContent = 'window.__injectedRan = true;';
    document.body.append(s);
    await new Promise((r) => setTimeout(r, 100));
    return { ran: window.__injectedRan, violations: window.__cspViolations.slice() };
  });
  assert.equal(injected.ran, false, 'an injected inline script does not run');
  assert.ok(
    injected.violations.some((v) => v.startsWith('script-src')),
    `the injected script is reported: ${JSON.stringify(injected.violations)}`,
  );
  await page.close();
});

test('the only test hooks are the documented read-only ones', async () => {
  const { page, problems } = await openApp(browser.context);
  const hooks = await page.evaluate(() => Object.keys(window.diceDebug).sort());
  assert.deepEqual(hooks, ['cliInput', 'experiment', 'gradAt', 'hash', 'sent', 'trainInput']);
  // Reading them changes nothing: not the link, not the loss.
  const before = await page.evaluate(() => ({ link: location.hash, loss: document.querySelector('#loss-value').dataset.value }));
  await page.evaluate(() => {
    window.diceDebug.cliInput();
    window.diceDebug.hash();
    window.diceDebug.gradAt(0, 0, 0, 0);
    window.diceDebug.trainInput();
    window.diceDebug.sent();
    window.diceDebug.experiment();
  });
  await settle(page);
  const after = await page.evaluate(() => ({ link: location.hash, loss: document.querySelector('#loss-value').dataset.value }));
  assert.deepEqual(after, before);
  // No state-changing hook is left in the bundle's code.
  const html = await servedHtml();
  const files = [...html.matchAll(/(?:href|from)\s*=?\s*['"]?\/?([^'"\s>]+\.(?:js|wasm))\b/g)].map((m) => m[1]);
  assert.ok(files.some((f) => f.endsWith('.wasm')) && files.some((f) => f.endsWith('.js')), `bundle files: ${files}`);
  for (const f of new Set(files)) {
    const bytes = Buffer.from(await (await fetch(new URL(f, BASE_URL))).arrayBuffer());
    for (const name of ['panicForTest', 'setState', 'forTest']) {
      assert.equal(bytes.includes(name), false, `${f} contains ${name}`);
    }
  }
  assertNoProblems(problems);
  await page.close();
});
