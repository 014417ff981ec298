// The lecture hall, the blog post and the phone. Every lesson and the default page
// fit 1280×720, 1920×1080 and 1024×768 without scrolling (by link and by button), an
// 800×600 embed fits its frame and works alone, presentation mode has twice the type and
// only the lesson, the phone shows the lesson and the grid before the controls, the words
// are on screen, and the exports are produced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  BASE_URL,
  sharedBrowser,
  openApp,
  assertNoProblems,
  shownLoss,
  waitLossChange,
  waitReady,
  settle,
  stroke,
  launch,
  launchPhone,
  assertCellsOnScreen,
  viewSize,
} from './helpers.mjs';

const browser = sharedBrowser();

const url = (hash) => new URL(hash, BASE_URL).href;

// The lessons, in the order of the buttons, with their number of images.
// Lessons that open in compare mode (a second setting B in its own column).
const COMPARE = new Set(['missing-I', 'missing-BI', 'empty-I', 'empty-BI', 'heuristic-eps', 'two-readings']);

const LESSONS = [
  ['missing-I', 2],
  ['missing-BI', 2],
  ['empty-I', 2],
  ['empty-BI', 2],
  ['heuristic-eps', 3],
  ['zero-over-zero', 2],
  ['zero-over-zero-eps', 2],
  ['zero-over-zero-dr', 2],
  ['missing-bg', 2],
  ['marginal', 3],
  ['leaf', 3],
  ['leaf-bg', 3],
  ['two-readings', 3],
];


for (const [W, H] of [
  [1280, 720],
  [1920, 1080],
  [1024, 768],
]) {
  test(`every lesson by link and the default page fit ${W}×${H}`, async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: W, height: H });
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(url('#'));
    await waitReady(page);
    await assertCellsOnScreen(page, W, H, 'the default page');
    // (At 1024×768 the first page holds the first-visit introduction, the question line
    // and the note of the labelled image left out above its two taught images: 64 px.)
    const least = W >= 1280 ? 80 : 64;
    assert.ok((await viewSize(page)) >= least, `the default page's views are at least ${least} px at ${W}×${H}`);
    // Every image in the loss is shown, or a line says which is left out.
    const shownRows = await page.$$eval('.row-head', (els) => els.filter((e) => !e.hidden && e.offsetParent !== null).length);
    const note = page.locator('[data-testid="rows-note"]');
    if (shownRows < 3) assert.match(await note.innerText(), /^Image 0 \(fully labelled\) is left out to fit this screen\.$/);
    else assert.ok(await note.isHidden(), `${W}×${H}: no note when every image is shown`);
    if (W >= 1280) assert.equal(shownRows, 3, `${W}×${H}: the first page shows its three images`);
    for (const [name, batch] of LESSONS) {
      await page.goto(url(`#preset=${name}`));
      await page.reload();
      await waitReady(page);
      const n = await assertCellsOnScreen(page, W, H, name);
      assert.ok(n >= batch, `${name}: a cell per image`);
      // The taught cell (image 1, class 1) is among them, on both sides in compare mode.
      assert.ok(await page.locator('[data-testid="verdict-1-1"]').isVisible(), `${name}: the taught cell is shown`);
      if (COMPARE.has(name)) {
        assert.ok(await page.locator('[data-testid="compare-verdict-1-1"]').isVisible(), `${name}: B's taught cell is shown`);
      }
      // Compare mode's three-image lesson (heuristic-eps) has B's view on every row: at
      // 1280×720 and 1024×768 its cells fit with the smallest views.
      const least = COMPARE.has(name) && batch > 2 && H < 1000 ? 40 : 56;
      assert.ok((await viewSize(page)) >= least, `${name}: views of at least ${least} px at ${W}×${H}`);
    }
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test('lessons opened by their buttons fit 1280×720 like lessons opened by link', async () => {
  const { page, problems } = await openApp(browser.context);
  await page.setViewportSize({ width: 1280, height: 720 });
  for (const [name] of LESSONS) {
    await page.click(`[data-testid="lesson-${name}"]`);
    await page.waitForFunction((n) => location.hash === `#preset=${n}`, name);
    const byButton = await viewSize(page);
    await assertCellsOnScreen(page, 1280, 720, `${name} by button`);
    const linked = await browser.context.newPage();
    await linked.setViewportSize({ width: 1280, height: 720 });
    await linked.goto(url(`#preset=${name}`));
    await waitReady(linked);
    await settle(linked);
    const byLink = await viewSize(linked);
    assert.ok(Math.abs(byLink - byButton) <= 2, `${name}: the same views by link (${byLink}) and by button (${byButton})`);
    await linked.close();
  }
  assertNoProblems(problems);
  await page.close();
});

test('the excluded background is a one-line note that can show its column', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=empty-I'));
  const note = page.locator('[data-testid="folded-note"]');
  assert.ok(await note.isVisible());
  assert.match(await note.innerText(), /Class 0 \(background\) is not in the loss/);
  const box = await note.boundingBox();
  assert.ok(box.height <= 36, `the note is one line (${box.height} px)`);
  assert.ok(await page.locator('[data-testid="label-0-0"]').isHidden(), 'its column is folded');
  // Its badge still says so, for whoever reads the DOM.
  assert.match(await page.locator('[data-testid="verdict-0-0"]').textContent(), /not in the loss/);
  await page.click('[data-testid="folded-toggle"]');
  await page.locator('[data-testid="label-0-0"]').waitFor({ state: 'visible', timeout: 5_000 });
  await page.click('[data-testid="folded-toggle"]');
  await page.locator('[data-testid="label-0-0"]').waitFor({ state: 'hidden', timeout: 5_000 });
  // MONAI's defaults have the background in the loss: no note, both columns.
  await page.goto(url('#preset=monai'));
  await waitReady(page);
  assert.ok(await note.isHidden());
  assert.ok(await page.locator('[data-testid="label-0-0"]').isVisible());
  assertNoProblems(problems);
  await page.close();
});

for (const [W, H] of [
  [1280, 720],
  [1920, 1080],
]) {
  test(`presentation mode fits every lesson at ${W}×${H} with twice the type`, async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: W, height: H });
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    // The page's own sizes, to compare with.
    await page.goto(url('#preset=empty-BI'));
    await waitReady(page);
    const sizes = () =>
      page.evaluate(() => {
        const px = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
        return {
          badge: px('.cell:not([hidden]) .verdict'),
          why: px('.cell:not([hidden]) .verdict-why'),
          title: px('#lesson-title'),
          tick: px('.legend-ticks .tick'),
          head: px('.col-head:not([hidden]) .class-name'),
        };
      });
    const normal = await sizes();
    for (const [name, batch] of LESSONS) {
      await page.goto(url(`#preset=${name}&present`));
      await page.reload();
      await waitReady(page);
      assert.ok(await page.evaluate(() => document.body.classList.contains('present')), `${name}: presentation mode`);
      await assertCellsOnScreen(page, W, H, `${name} presented`);
      for (const id of ['#controls', '#sets-section', '#explain', '.paint-hint', '[data-testid="lesson-text"]']) {
        assert.ok(await page.locator(id).isHidden(), `${name}: ${id} is hidden`);
      }
      assert.ok(await page.locator('#loss-value').isVisible() && (await page.locator('#legend').isVisible()), `${name}: the loss and the legend`);
      // Only the lesson's class (class 1): the background's cells are not shown, except
      // in missing-bg, which is about the background's own term.
      const shown = await page.$$eval('#grid .cell:not([hidden])', (els) => [...new Set(els.map((e) => e.dataset.class))]);
      assert.deepEqual(shown.sort(), name === 'missing-bg' ? ['0', '1'] : ['1'], `${name}: only the lesson's classes`);
      const big = await sizes();
      for (const k of Object.keys(normal)) {
        assert.ok(big[k] >= 1.5 * normal[k], `${name}: ${k} ${big[k]} px is about twice ${normal[k]} px`);
      }
      assert.ok(big.badge >= 24 && big.why >= 20 && big.title >= 30 && big.tick >= 18, `${name}: hall-sized type ${JSON.stringify(big)}`);
      // Compare mode adds B's view to every row; three such rows (heuristic-eps) share
      // 720 px with the words, so their views are smaller than a single side's.
      // At 1280×720 the takeaway's two lines of hall type above the grid cost B's lessons
      // about 20 px of view; missing-bg shows its background column as well, and of three
      // images presentation shows the missing and the empty one.
      const least =
        W >= 1920
          ? !COMPARE.has(name) ? 140 : batch > 2 ? 120 : 140
          : !COMPARE.has(name) ? (name === 'missing-bg' ? 120 : 140) : batch > 2 ? 80 : 90;
      assert.ok((await viewSize(page)) >= least, `${name}: views of at least ${least} px (${await viewSize(page)})`);
      if (COMPARE.has(name)) {
        assert.ok(await page.locator('[data-testid="compare-verdict-1-1"]').isVisible(), `${name}: B's taught cell is presented`);
        assert.ok(await page.locator('#compare-b').isVisible(), `${name}: B's setting in words`);
      }
    }
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test('presentation mode: the button, the P key and the link; ← → walk the lessons; Esc leaves', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=missing-I'));
  const presenting = () => page.evaluate(() => document.body.classList.contains('present'));
  await page.click('[data-testid="present-toggle"]');
  await page.waitForFunction(() => document.body.classList.contains('present'));
  assert.equal(await page.evaluate(() => location.hash), '#preset=missing-I&present');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => location.hash === '#preset=missing-BI&present');
  // The address bar is written by the update, the title by the next frame: wait for it.
  await page.waitForFunction(() => /Missing label, batch-wise/.test(document.querySelector('#lesson-title').textContent));
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => location.hash === '#preset=missing-I&present');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.body.classList.contains('present'));
  assert.equal(await page.evaluate(() => location.hash), '#preset=missing-I');
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.body.classList.contains('present'));
  await page.click('[data-testid="present-exit"]');
  await page.waitForFunction(() => !document.body.classList.contains('present'));
  // The lesson box's own button.
  await page.click('[data-testid="lesson-present"]');
  await page.waitForFunction(() => document.body.classList.contains('present'));
  await page.keyboard.press('p');
  assert.equal(await page.waitForFunction(() => !document.body.classList.contains('present')).then(() => presenting()), false);
  assertNoProblems(problems);
  await page.close();
});

/** Opens `hash` in an 800×600 iframe of a blog page; returns { page, frame }. */
async function embedded(hash, [w, h] = [800, 600]) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1000, height: 800 });
  await page.setContent(
    `<body style="margin:0"><p id="para" tabindex="-1">A blog post.</p><iframe id="f" src="${url(hash)}" width="${w}" height="${h}" style="border:0" title="embed"></iframe></body>`,
  );
  const frame = await (await page.$('#f')).contentFrame();
  await waitReady(frame);
  return { page, frame };
}

test('every lesson embedded at 800×600 fits its frame, with no sets table', async () => {
  for (const [name] of LESSONS) {
    const { page, frame } = await embedded(`#preset=${name}&embed`);
    await assertCellsOnScreen(frame, 800, 600, `${name} embedded`);
    const fits = await frame.evaluate(() => {
      const d = document.documentElement;
      return { h: d.scrollHeight - innerHeight, w: d.scrollWidth - innerWidth };
    });
    assert.ok(fits.h <= 1 && fits.w <= 1, `${name}: the embed does not scroll (${JSON.stringify(fits)})`);
    for (const id of ['#sets-section', '#controls', '#explain']) {
      assert.ok(await frame.locator(id).isHidden(), `${name}: no ${id} in the embed`);
    }
    for (const id of ['embed-undo', 'embed-reset', 'embed-full']) {
      assert.ok(await frame.locator(`[data-testid="${id}"]`).isVisible(), `${name}: ${id}`);
    }
    const full = await frame.getAttribute('[data-testid="embed-full"]', 'href');
    assert.ok(full.endsWith(`#preset=${name}`), `${name}: the full page's link ${full}`);
    assert.equal(await frame.locator('h1').count() > 0, true, 'the embed has a heading');
    await page.close();
  }
});

test('an embed works alone: painting focuses it, Ctrl+Z and reset undo, the lesson text comes back', async () => {
  const { page, frame } = await embedded('#preset=empty-BI&embed');
  await page.focus('#para');
  const loss0 = await shownLoss(frame);
  const canvas = frame.locator('[data-testid="pred-1-1"]');
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.3, { steps: 6 });
  await page.mouse.up();
  const loss1 = await waitLossChange(frame, loss0, 'painting in the embed');
  assert.equal(await frame.evaluate(() => document.hasFocus()), true, 'the frame has the keyboard');
  await page.keyboard.press('Control+z');
  await frame.waitForFunction((v) => document.querySelector('#loss-value').dataset.value === String(v), loss0);
  await page.keyboard.press('Control+Shift+z');
  await frame.waitForFunction((v) => document.querySelector('#loss-value').dataset.value === String(v), loss1);
  await frame.click('[data-testid="embed-reset"]');
  await frame.waitForFunction((v) => document.querySelector('#loss-value').dataset.value === String(v), loss0);
  assert.equal(await frame.evaluate(() => location.hash), '#preset=empty-BI&embed', 'reset is the lesson again');
  // × folds the lesson text; the bar brings it back.
  await frame.click('#lesson-close');
  await frame.locator('[data-testid="lesson-text"]').waitFor({ state: 'hidden', timeout: 5_000 });
  assert.ok(await frame.locator('[data-testid="lesson"]').isVisible(), 'the title stays');
  await frame.click('[data-testid="embed-lesson"]');
  await frame.locator('[data-testid="lesson-text"]').waitFor({ state: 'visible', timeout: 5_000 });
  await page.close();
});

test('the embed code is an iframe sized to the lesson, and that size fits', async () => {
  const ctx = browser.context;
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(BASE_URL).origin });
  for (const [name, batch] of [
    ['empty-BI', 2],
    ['heuristic-eps', 3],
  ]) {
    const { page, problems } = await openApp(ctx, url(`#preset=${name}`));
    await page.click('[data-testid="copy-embed"]');
    await page.waitForFunction(() => /Copied|copy it/.test(document.querySelector('[data-testid="export-status"]')?.textContent ?? ''));
    const code = await page.inputValue('[data-testid="copied-text"]');
    // A responsive iframe: as wide as the blog's column up to its width, then a comment
    // that says the sizes it fits.
    const m = code.match(/^<iframe src="([^"]+)" width="(\d+)" height="(\d+)" title="[^"]+" style="border:0;width:100%;max-width:(\d+)px;height:(\d+)px" loading="lazy"><\/iframe><!-- Fits a column from 360 to \d+ px wide, \d+ px tall; below \d+ px the picture comes first\. -->$/);
    assert.ok(m, `an iframe: ${code}`);
    assert.equal(m[4], m[2], 'max-width is the width');
    assert.equal(m[5], m[3], 'the height is fixed');
    assert.ok(m[1].endsWith(`#preset=${name}&amp;embed`), m[1]);
    const [w, h] = [Number(m[2]), Number(m[3])];
    assert.equal(w, 800);
    assert.equal(h, batch > 2 ? 720 : 600);
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clip, code, 'the clipboard has it');
    const e = await embedded(`#preset=${name}&embed`, [w, h]);
    await assertCellsOnScreen(e.frame, w, h, `${name} in its own iframe size`);
    await e.page.close();
    // Copy link: the page as it is.
    await page.click('[data-testid="copy-link"]');
    await page.waitForFunction(() => /Copied the link|copy it/.test(document.querySelector('[data-testid="export-status"]')?.textContent ?? ''));
    assert.equal(await page.inputValue('[data-testid="copied-text"]'), url(`#preset=${name}`));
    assertNoProblems(problems);
    await page.close();
  }
});

/** Clicks `selector` and returns the downloaded file's name and bytes. */
async function download(page, selector) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click(selector)]);
  const file = await d.path();
  return { name: d.suggestedFilename(), bytes: fs.readFileSync(file) };
}

function pngSize(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG signature');
  return { w: bytes.readUInt32BE(16), h: bytes.readUInt32BE(20) };
}

function svgSize(text) {
  const m = text.match(/^<svg[^>]* width="([\d.]+)" height="([\d.]+)"/);
  assert.ok(m, 'an SVG with a size');
  return { w: Number(m[1]), h: Number(m[2]) };
}

test('the grid and every plot export as PNG (2×) and SVG', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=missing-BI'));
  assert.match(await page.locator('[data-testid="export-grid-png"]').innerText(), /PNG/);
  assert.match(await page.locator('[data-testid="export-grid-svg"]').innerText(), /SVG/);
  const svg = await download(page, '[data-testid="export-grid-svg"]');
  assert.equal(svg.name, 'dice-missing-BI-grid.svg');
  const text = svg.bytes.toString('utf8');
  const size = svgSize(text);
  for (const part of ['✓ pushed up', '✗ pushed down', 'wrong: a missing label should get no push', 'label y', 'prediction ỹ', 'url(#plus)', 'Class 0 (background) is not in the loss']) {
    assert.ok(text.includes(part), `the SVG has “${part}”`);
  }
  const png = await download(page, '[data-testid="export-grid-png"]');
  assert.equal(png.name, 'dice-missing-BI-grid.png');
  const p = pngSize(png.bytes);
  assert.deepEqual(p, { w: Math.ceil(2 * size.w), h: Math.ceil(2 * size.h) }, 'the PNG is the figure at 2×');
  assert.ok(png.bytes.length > 20_000, `the PNG has content (${png.bytes.length} bytes)`);
  await page.locator('#explain').scrollIntoViewIfNeeded();
  for (const k of [0, 1, 2]) {
    const s = await download(page, `[data-testid="export-plot-${k}-svg"]`);
    const t = s.bytes.toString('utf8');
    const sz = svgSize(t);
    assert.ok(t.includes('<polyline') || t.includes('<path'), `plot ${k}: curves in the SVG`);
    assert.ok(/\(([abc])\)/.test(t), `plot ${k}: its title`);
    const q = await download(page, `[data-testid="export-plot-${k}-png"]`);
    assert.deepEqual(pngSize(q.bytes), { w: Math.ceil(2 * sz.w), h: Math.ceil(2 * sz.h) }, `plot ${k}: PNG at 2×`);
    assert.ok(q.bytes.length > 10_000, `plot ${k}: the PNG has content`);
  }
  assertNoProblems(problems);
  await page.close();
});

test('on a phone the lesson text and the grid come before the controls, without sideways scrolling', async () => {
  const phone = await launchPhone();
  const ctx = phone.context;
  const page = await ctx.newPage();
  await page.goto(url('#preset=empty-BI'));
  await waitReady(page);
  await settle(page);
  const top = (sel) => page.locator(sel).first().evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
  const lesson = await top('[data-testid="lesson"]');
  const loss = await top('#loss-value');
  const grid = await top('#grid .cell:not([hidden])');
  const controls = await top('#controls');
  assert.ok(lesson < loss && loss < grid && grid < controls, `lesson ${lesson} < loss ${loss} < grid ${grid} < controls ${controls}`);
  assert.ok(grid < 900, `the grid starts within about a screen (${grid} px)`);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 391, `no sideways scroll (${wide} px)`);
  // Status words are whole, not cut to "e…".
  const cut = await page.$$eval('#grid .cell:not([hidden]) .verdict', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length);
  assert.equal(cut, 0, 'no badge is cut short');
  // The default page's two classes stack one cell per line when they would be small.
  await page.goto(url('#'));
  await page.reload();
  await waitReady(page);
  await settle(page);
  assert.ok((await viewSize(page)) >= 80, 'views of at least 80 px on a phone');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 391, 'no sideways scroll on the default page');
  await page.close();
  await phone.close();
});

test('the words are on screen: reasons, headers, the paint hint, the introduction and the paper', async () => {
  const profile = await launch();
  try {
    const { page, problems } = await openApp(profile.context, url('#'));
    const intro = page.locator('#intro');
    assert.ok(await intro.isVisible(), 'a first visit shows the introduction');
    assert.match(await page.getAttribute('#intro-paper', 'href'), /arxiv\.org\/abs\/2207\.09521/);
    assert.match(await page.getAttribute('[data-testid="paper-link"]', 'href'), /2207\.09521/);
    await page.click('#intro-close');
    await intro.waitFor({ state: 'hidden', timeout: 5_000 });
    await page.reload();
    await waitReady(page);
    assert.ok(await intro.isHidden(), 'dismissed for good in this browser');
    const heads = await page.$$eval('.col-head:not([hidden]) .sub-head', (els) => els.map((e) => e.textContent.trim()));
    // The first page's soft Dice (nnU-Net's) takes a softmax: its gradient is by the logits.
    assert.deepEqual(heads.slice(0, 3), ['label y', 'prediction ỹ', 'gradient ∂L/∂z']);
    // It poses the paper's question, in words that follow the two cells' badges.
    const question = page.locator('[data-testid="question"]');
    assert.ok(await question.isVisible(), 'the question line is shown');
    assert.match(
      await question.innerText(),
      /Image 1's structure is there but unlabelled \(missing\); image 2 has none \(empty\)\. Here a descent step leaves the missing structure alone ✓ and leaves the false positive alone ✗\. Can any Φ and ε get both right\?/,
    );
    assert.match(await page.locator('[data-testid="verdict-1-1"]').innerText(), /✓/);
    assert.match(await page.locator('[data-testid="verdict-2-1"]').innerText(), /✗/);
    // Batch-wise Φ swaps both badges and the sentence with them.
    await page.click('[data-phi="BI"]');
    await page.waitForFunction(() => /erases the missing structure ✗ and removes the false positive ✓/.test(document.querySelector('[data-testid="question"]').textContent));
    assert.match(await page.locator('[data-testid="verdict-1-1"]').innerText(), /✗/);
    assert.match(await page.locator('[data-testid="verdict-2-1"]').innerText(), /✓/);
    // While the question is shown the loss and legend sit beside the grid (from 1000 px);
    // re-labelling the missing cell as annotated leaves no question, and they go back above.
    const beside = () => page.evaluate(() => document.body.classList.contains('has-question'));
    assert.equal(await beside(), (await page.evaluate(() => innerWidth)) >= 1000, 'the side column beside the question page');
    await page.selectOption('[data-testid="status-1-1"]', 'annotated');
    await question.waitFor({ state: 'hidden', timeout: 5_000 });
    assert.equal(await beside(), false, 'no question: the side column is not kept beside');
    // A lesson has its own text: the question goes.
    await page.click('[data-testid="lesson-missing-I"]');
    await question.waitFor({ state: 'hidden', timeout: 5_000 });
    assert.match(await page.locator('[data-testid="paint-hint"]').innerText(), /Paint label y and prediction ỹ/);
    await page.goto(url('#preset=empty-I'));
    await waitReady(page);
    const why = page.locator('[data-testid="why-1-1"]');
    assert.ok(await why.isVisible(), 'the reason is next to the badge');
    assert.equal((await why.innerText()).trim(), 'wrong: a prediction in an empty image should be pushed down');
    assert.match(await page.locator('[data-testid="badge-key"]').innerText(), /Almost no push.*1% of 1\/\(\|Φ\|·H·W\).*wanted state is reached.*missing = the structure is there/s);
    // The canvases are images with a description of what they show now.
    const grad = page.locator('[data-testid="grad-1-1"]');
    assert.equal(await grad.getAttribute('role'), 'img');
    assert.match(await grad.getAttribute('aria-label'), /^Gradient ∂L\/∂ỹ, class 1, image 1: gradient descent lowers the prediction everywhere, mean \+/);
    assertNoProblems(problems);
    await page.close();
  } finally {
    await profile.close();
  }
});

test('a focused view has an arrow-key cursor that paints with Space; the sign shows as glyphs', async () => {
  const { page, problems } = await openApp(browser.context);
  const view = page.locator('[data-testid="pred-0-1"]');
  await view.focus();
  await page.waitForFunction(() => /pixel \(16, 16\)/.test(document.querySelector('#hover-info').textContent));
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => /pixel \(15, 15\)/.test(document.querySelector('#hover-info').textContent));
  for (let k = 0; k < 12; k++) await page.keyboard.press('ArrowUp');
  const loss0 = await shownLoss(page);
  await page.keyboard.press('Space');
  await waitLossChange(page, loss0, 'Space on the cursor');
  await page.keyboard.press('Control+z');
  await page.waitForFunction((v) => document.querySelector('#loss-value').dataset.value === String(v), loss0);
  // The gradient view's overlay carries + and − glyphs where the gradient is not zero.
  const ink = await page.locator('[data-testid="grad-0-1"] ~ canvas.overlay').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return { n, w: c.width, visible: getComputedStyle(c).visibility };
  });
  assert.ok(ink.n > 200 && ink.visible === 'visible', `sign glyphs on the gradient view: ${JSON.stringify(ink)}`);
  assert.ok(ink.w >= 128, 'drawn finer than the data pixels');
  assertNoProblems(problems);
  await page.close();
});

test('a notice does not move the grid', async () => {
  const { page, problems } = await openApp(browser.context, url('#preset=empty-I'));
  const before = await page.locator('[data-testid="label-1-1"]').boundingBox();
  // Painting an empty label is refused with a notice.
  await stroke(page, 'label-1-1', [
    [5, 5],
    [5, 9],
  ]);
  await page.locator('#notice').waitFor({ state: 'visible', timeout: 5_000 });
  const after = await page.locator('[data-testid="label-1-1"]').boundingBox();
  assert.deepEqual(after, before, 'the grid stays where it was');
  assertNoProblems(problems);
  await page.close();
});

test('presentation mode survives training a lesson: the run is presented and fits 1280×720', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 720 });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url('#preset=empty-I&present'));
  await waitReady(page);
  await page.click('[data-testid="lesson-train"]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid^="train-result-"]')].some((e) => !e.hidden));
  assert.ok(await page.evaluate(() => document.body.classList.contains('present')), 'still presenting');
  // The run is narrated: a step counter and a Pause button; paused here to look.
  assert.match(await page.innerText('[data-testid="present-step"]'), /^step \d+/);
  assert.match(await page.innerText('[data-testid="present-play"]'), /Pause/);
  await page.click('[data-testid="present-play"]');
  // Compare mode is kept: B trains its own model in its own column.
  assert.ok(await page.locator('[data-testid="compare-verdict-2-1"]').isVisible(), "B's column stays");
  assert.ok(await page.locator('[data-testid="compare-pred-2-1"]').isVisible(), "B's own prediction");
  assert.ok((await viewSize(page)) >= 60, `views of at least 60 px (${await viewSize(page)})`);
  assert.ok(await page.locator('#controls').isHidden() && (await page.locator('#train-box').isHidden()), 'no controls, no plot (d)');
  assert.ok(await page.locator('[data-testid="image-0-0"]').isHidden(), 'the input images are left out');
  await assertCellsOnScreen(page, 1280, 720, 'empty-I trained, presented');
  const results = await page.$$eval('[data-testid^="train-result-"]', (els) =>
    els.filter((e) => !e.hidden && e.offsetParent !== null).map((e) => parseFloat(getComputedStyle(e).fontSize)),
  );
  assert.ok(results.length > 0 && results.every((px) => px >= 18), `result lines in hall type: ${results}`);
  assert.deepEqual(problems, []);
  await page.close();
});

// The layout plan (page::layout::plan) applied: the page reads from a hall at 1920×1080,
// the lesson text is whole or brief (never a clipped scroll box), the loss number fits
// its box, a trained compare lesson fits 1280×720 with views of at least the page's
// floor (56 px), and nothing scrolls sideways. About 10 s on two cores.
for (const [W, H] of [
  [1280, 720],
  [1920, 1080],
]) {
  test(`the layout plan on the page at ${W}×${H}: hall type, whole or brief text, the loss in its box, a training compare lesson fits`, async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: W, height: H });
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const words = () =>
      page.evaluate(() => {
        const px = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
        const box = document.querySelector('[data-testid="lesson"]') ?? document.getElementById('lesson');
        const loss = document.getElementById('loss-value');
        const lossBox = loss.parentElement.getBoundingClientRect();
        const l = loss.getBoundingClientRect();
        return {
          lesson: px('[data-testid="lesson-text"]'),
          badge: px('.cell:not([hidden]) .verdict'),
          clipped: box.scrollHeight > box.clientHeight + 1,
          lossInside: l.right <= lossBox.right + 0.5 && loss.scrollWidth <= loss.clientWidth + 1,
          sideways: document.documentElement.scrollWidth > innerWidth,
        };
      });
    for (const name of ['missing-I', 'heuristic-eps']) {
      await page.goto(url(`#preset=${name}`));
      await page.reload();
      await waitReady(page);
      await settle(page);
      const w = await words();
      if (W >= 1920) assert.ok(w.lesson >= 20 && w.badge >= 18, `${name}: hall type at ${W}×${H}: ${JSON.stringify(w)}`);
      else assert.ok(w.lesson >= 15 && w.badge >= 13.5, `${name}: type floors: ${JSON.stringify(w)}`);
      assert.ok(!w.clipped, `${name}: the lesson text is not a clipped scroll box`);
      assert.ok(w.lossInside, `${name}: the loss number fits its box`);
      assert.ok(!w.sideways, `${name}: no sideways scroll`);
    }
    // heuristic-eps training in compare mode (its default; a fourth image, the input
    // images' column and result lines): every badge, reason and result line on screen,
    // views at least the page's floor.
    await page.click('[data-testid="lesson-train"]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid^="train-result-"]')].some((e) => !e.hidden));
    await assertCellsOnScreen(page, W, H, 'heuristic-eps training');
    assert.ok((await viewSize(page)) >= 56, `training views of at least 56 px (${await viewSize(page)})`);
    assert.ok(!(await words()).sideways, 'training: no sideways scroll');
    assert.deepEqual(problems, []);
    await page.close();
  });
}
