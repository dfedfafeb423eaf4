/**
 * The HTML report in a real browser: Debian's chromium (/usr/bin/chromium, installed by .ci/run), driven by
 * playwright-core with that executable — nothing is downloaded. For reports of in-repo fixtures (the lab capture in
 * access mode; a public excerpt with round trips, phases, model and what-if) it checks what a reader sees: the page
 * says it is ready, no console error, no network request, every plot drawn with data in its mechanism colours,
 * the expected mechanism names in the legends, sortable tables; and saves a screenshot (test/output/).
 * Skips, saying so, when the browser is absent.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classColor } from '../../src/report/html/series.js';
import { cli, fixture, ROOT } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  process.stderr.write(`html-browser: SKIPPED — ${CHROMIUM} not found (Debian's chromium; .ci/run installs it)\n`);
}

interface Case {
  name: string;
  file: string;
  /** Charts the page must hold (every one must render with data). */
  charts: string[];
}

const CASES: Case[] = [
  { name: 'lab', file: fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'), charts: ['vmm-phases', 'timeline', 'heatmap', 'model', 'whatif'] },
  {
    name: 'public-003',
    file: fixture('public', '003-github-kvm-example-aout-trace-pipe.txt'),
    charts: ['cdf', 'hist-mechanism', 'hist-reason', 'phases', 'timeline', 'heatmap', 'model', 'whatif'],
  },
];

interface Seen {
  page: Page;
  problems: string[];
  analysis: {
    mechanisms: { mechanism: string; count: number; p50Ns: number | null }[];
    vcpus: { thread: string }[];
    model?: { rows: { mechanism: string }[] };
  };
}

describe.skipIf(!HAVE_CHROMIUM)('HTML report in headless chromium', () => {
  const work = mkdtempSync(join(tmpdir(), 'exitlens-e2e-'));
  const shots = join(ROOT, 'test', 'output');
  let browser: BrowserContext;
  const seen = new Map<string, Seen>();

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    for (const c of CASES) {
      const html = join(work, `${c.name}.html`);
      const r = cli(['analyze', '--quiet', '--json', '--html', html, c.file]);
      expect(r.code, r.stderr).toBe(0);
      const page = await browser.newPage();
      const problems: string[] = [];
      const url = pathToFileURL(html).href;
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (q) => {
        if (q.url() !== url) problems.push(`request: ${q.url()}`);
      });
      await page.goto(url);
      await page.waitForSelector('body[data-exitlens]', { timeout: 20_000 });
      seen.set(c.name, { page, problems, analysis: JSON.parse(r.stdout) });
    }
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.name}: ready, no console error, no request, every plot drawn with data`, async () => {
      const { page, problems } = seen.get(c.name)!;
      expect(await page.getAttribute('body', 'data-exitlens')).toBe('ready');
      expect(problems).toEqual([]);
      const charts = await page.$$eval('.chart[data-chart]', (els) =>
        els.map((el) => {
          const svg = el.querySelector('svg');
          const fills: Record<string, number> = {};
          const strokes: Record<string, number> = {};
          for (const s of svg === null ? [] : Array.from(svg.querySelectorAll('path, rect, circle, polyline'))) {
            const d = s.getAttribute('d');
            if (s.tagName === 'path' && (d === null || d.length < 4)) continue;
            const f = (s.getAttribute('fill') ?? '').toLowerCase();
            const k = (s.getAttribute('stroke') ?? '').toLowerCase();
            fills[f] = (fills[f] ?? 0) + 1;
            strokes[k] = (strokes[k] ?? 0) + 1;
          }
          const box = svg?.getBoundingClientRect();
          return {
            kind: (el as HTMLElement).dataset.chart ?? '',
            points: Number((el as HTMLElement).dataset.points ?? '0'),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            fills,
            strokes,
            text: svg === null ? [] : Array.from(svg.querySelectorAll('text')).map((t) => t.textContent ?? ''),
          };
        }),
      );
      expect([...new Set(charts.map((x) => x.kind))].sort()).toEqual([...c.charts].sort());
      // Shapes drawn in the data colours of each kind of plot: bars, cells, markers (not axes or legends alone).
      const barColours: Record<string, string[]> = {
        phases: ['#4575b4', '#f46d43'],
        'vmm-phases': ['#4575b4', '#fdae61', '#d73027'],
        whatif: ['#1a7f37'],
        model: ['#8250df'],
      };
      for (const ch of charts) {
        expect(ch.points, ch.kind).toBeGreaterThan(0);
        expect(ch.width, ch.kind).toBeGreaterThan(300);
        expect(ch.height, ch.kind).toBeGreaterThan(80);
        const count = (cols: string[]) => cols.reduce((n, k) => n + (ch.fills[k] ?? 0), 0);
        if (ch.kind in barColours) expect(count(barColours[ch.kind]!), ch.kind).toBeGreaterThanOrEqual(ch.kind === 'model' ? 1 : ch.points);
        if (ch.kind === 'heatmap') {
          // Cells are filled with colours of the visual map's ramp (rgb(…)), one shape per non-empty cell.
          const cells = Object.entries(ch.fills).filter(([k]) => k.startsWith('rgb(') && k !== 'rgb(0,0,0)');
          expect(cells.reduce((n, [, v]) => n + v, 0)).toBeGreaterThanOrEqual(ch.points);
        }
      }
      const { analysis: a } = seen.get(c.name)!;
      const byKind = (k: string) => charts.filter((x) => x.kind === k);
      // Legends name the mechanisms, and each mechanism's line is drawn in its colour.
      const timeline = byKind('timeline')[0]!;
      for (const m of a.mechanisms) {
        expect(timeline.text, m.mechanism).toContain(m.mechanism);
        expect(timeline.strokes[classColor(m.mechanism)], m.mechanism).toBeGreaterThan(0);
      }
      const timed = a.mechanisms.filter((m) => m.p50Ns !== null);
      for (const cdf of byKind('cdf')) {
        for (const m of timed) {
          expect(cdf.text, m.mechanism).toContain(m.mechanism);
          expect(cdf.strokes[classColor(m.mechanism)], m.mechanism).toBeGreaterThan(0);
        }
      }
      // One histogram panel per timed mechanism, titled with its name, every bar drawn in the mechanism's colour.
      const hist = byKind('hist-mechanism');
      expect(hist).toHaveLength(timed.length);
      hist.forEach((h, i) => expect(h.text).toContain(timed[i]!.mechanism));
      hist.forEach((h, i) => expect(h.fills[classColor(timed[i]!.mechanism)]).toBe(h.points));
      for (const h of byKind('hist-reason')) expect(Math.max(...Object.values(h.fills))).toBeGreaterThanOrEqual(h.points);
      // The heatmap has a row per vCPU thread; the model plot a column per model row.
      const heat = byKind('heatmap')[0]!;
      for (const v of a.vcpus) expect(heat.text).toContain(v.thread);
      for (const r of a.model?.rows ?? []) expect(byKind('model')[0]!.text).toContain(r.mechanism);
    });
  }

  it('tables sort by a column on click (descending, then ascending)', async () => {
    const { page, analysis } = seen.get('lab')!;
    const counts = () => page.$$eval('#mechanisms tbody tr td:nth-child(2)', (tds) => tds.map((td) => Number((td as HTMLElement).dataset.v)));
    const header = page.locator('#mechanisms thead th', { hasText: 'Count' });
    await header.click();
    const desc = [...analysis.mechanisms.map((m) => m.count)].sort((x, y) => y - x);
    expect(await counts()).toEqual(desc);
    await header.click();
    expect(await counts()).toEqual([...desc].reverse());
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
  });

  it('saves a full-page screenshot of each report', async () => {
    for (const c of CASES) {
      const png = join(shots, `report-${c.name}.png`);
      await seen.get(c.name)!.page.screenshot({ path: png, fullPage: true });
      expect(statSync(png).size).toBeGreaterThan(50_000);
    }
  });
});
