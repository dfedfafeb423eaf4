#!/usr/bin/env node
/**
 * Screenshot of an HTML report in Debian's headless chromium (README's docs/report.png and docs/report-lab.png),
 * driven by playwright-core with the system browser: nothing is downloaded. Waits until the page script says every
 * chart is drawn; exits 1 on any console error or network request.
 *
 *   node docs/screenshot.mjs REPORT.html OUT.png                     # the whole page
 *   node docs/screenshot.mjs REPORT.html OUT.png --top 2300          # the first 2300 px
 *   node docs/screenshot.mjs REPORT.html OUT.png --sections timeline,heatmap
 *
 * The README's images were made with:
 *   cd ../shared/fixtures/large && exitlens analyze -q 01-hip24-thesis-host-2vms-110k.report-derived.txt --html /tmp/a.html
 *   node docs/screenshot.mjs /tmp/a.html docs/report.png --top 2300
 *   exitlens analyze -q fixtures/lab/tracefs-user-kvm-pvm.txt.gz --html /tmp/b.html
 *   node docs/screenshot.mjs /tmp/b.html docs/report-lab.png --sections phases,timeline,heatmap
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [html, png, mode, arg] = process.argv.slice(2);
if (html === undefined || png === undefined || (mode !== undefined && !['--top', '--sections'].includes(mode))) {
  process.stderr.write('usage: node docs/screenshot.mjs REPORT.html OUT.png [--top PX | --sections id,id]\n');
  process.exit(2);
}
const WIDTH = 1280; // a common laptop width; the report's layout is designed for it
const profile = mkdtempSync(join(tmpdir(), 'exitlens-chromium-'));
// A fresh profile directory each run (playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: WIDTH, height: 900 },
});
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const url = pathToFileURL(resolve(html)).href;
  page.on('request', (r) => { if (r.url() !== url) problems.push(`request: ${r.url()}`); });
  await page.goto(url);
  await page.waitForSelector('body[data-exitlens]');
  const state = await page.getAttribute('body', 'data-exitlens');
  if (state !== 'ready') problems.push(`page state: ${state}`);
  if (mode === '--top') {
    await page.screenshot({ path: png, fullPage: true, clip: { x: 0, y: 0, width: WIDTH, height: Number(arg) } });
  } else if (mode === '--sections') {
    const boxes = [];
    for (const id of (arg ?? '').split(',')) {
      const box = await page.locator(`#${id}`).boundingBox();
      if (box === null) throw new Error(`no section #${id}`);
      boxes.push(box);
    }
    const pad = 12;
    const y = Math.min(...boxes.map((b) => b.y)) - pad;
    const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + pad;
    await page.screenshot({ path: png, fullPage: true, clip: { x: 0, y, width: WIDTH, height: bottom - y } });
  } else {
    await page.screenshot({ path: png, fullPage: true });
  }
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
