// scratch: node e2e/shot.scratch.mjs URL OUTDIR name:WxH:hash ...
import { chromium } from '/work/main/e2e/node_modules/playwright-core/index.mjs';
const [url, out, ...specs] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run'] });
for (const s of specs) {
  const [name, wh, hash, extra] = s.split('|');
  const [w, h] = wh.split('x').map(Number);
  const phone = extra === 'phone';
  const ctx = await browser.newContext({ viewport: { width: w, height: h }, isMobile: phone, hasTouch: phone, deviceScaleFactor: 1 });
  await ctx.addInitScript(() => { try { localStorage.setItem('dice-playground-intro', '1'); } catch {} });
  const page = await ctx.newPage();
  await page.goto(url + hash);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  if (extra === 'train') { await page.click('[data-testid="lesson-train"]'); await page.waitForTimeout(8000); }
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${out}/${name}.png` });
  const info = await page.evaluate(() => { const cs = (sel) => { const e = document.querySelector(sel); return e ? getComputedStyle(e).fontSize : null; }; return { sw: document.documentElement.scrollWidth, lesson: cs('[data-testid="lesson-text"]'), badge: cs('[data-testid^="verdict-"]') }; });
  console.log(name, JSON.stringify(info));
  await ctx.close();
}
await browser.close();
