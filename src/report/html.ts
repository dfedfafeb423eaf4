/**
 * The HTML report (`analyze --html FILE`): one self-contained page that any browser opens from disk with no network.
 *
 * The page holds: an overview (round trips, time in exits, top mechanisms, model verdict, diagnostics), the plots
 * (per-mechanism latency CDF on a log axis, histograms per mechanism and per exit reason, the KVM/VMM phase split,
 * exit rate over time, the per-vCPU heatmap, the cost-model comparison and the what-if savings) and sortable tables.
 * Tables and text are rendered here, in Node, so the page reads without JavaScript; the plots are drawn in the page
 * by Apache ECharts (inlined, Apache-2.0) from series prepared by ./html/series.ts, by the page script
 * ./html/client/main.ts (compiled by its own tsconfig into dist/client/). A Content-Security-Policy forbids every
 * network request, so "self-contained" is enforced by the browser, not only intended.
 *
 * Renders an `Analysis`; computes no statistic (series.ts only reshapes what the analysis holds).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Analysis, DeviceRow, LatencyStats, ModelComparison, StatsRow } from '../model/analysis.js';
import { ExitlensError } from '../model/errors.js';
import { formatDuration } from '../model/units.js';
import { reportData } from './html/series.js';
import type { ReportData } from './html/types.js';
import { pct } from './text.js';

interface Assets {
  echarts: string;
  echartsVersion: string;
  client: string;
}

let assets: Assets | null = null;

/** ECharts' browser build and the compiled page script (dist/client/…, next to dist/report/ or, from src/, in dist/). */
function loadAssets(): Assets {
  if (assets !== null) return assets;
  const req = createRequire(import.meta.url);
  // The package's `require` entry is dist/echarts.js; its minified twin sits beside it (the exports map hides it).
  const echartsDir = dirname(req.resolve('echarts'));
  const echartsVersion = (JSON.parse(readFileSync(join(echartsDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const here = dirname(fileURLToPath(import.meta.url));
  const rel = join('client', 'report', 'html', 'client', 'main.js');
  const candidates = [join(here, '..', rel), join(here, '..', '..', 'dist', rel)];
  const clientPath = candidates.find((p) => existsSync(p));
  if (clientPath === undefined) {
    throw new ExitlensError(`the HTML report's page script is missing (${candidates[0]}); run "npm run build"`);
  }
  const echarts = readFileSync(join(echartsDir, 'echarts.min.js'), 'utf8');
  const client = readFileSync(clientPath, 'utf8');
  for (const [name, text] of [['echarts', echarts], ['page script', client]] as const) {
    // Inside <script>, only "</script" (and "<!--") can end or confuse the element; neither may appear.
    if (/<\/script|<!--/i.test(text)) throw new ExitlensError(`cannot inline the ${name}: it contains "</script" or "<!--"`);
  }
  assets = { echarts, echartsVersion, client };
  return assets;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** JSON inside <script type="application/json">: escape "<" so no "</script" can occur. */
function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

type Cell = { text: string; v?: number | null; cls?: string; title?: string };
type Col<T> = { head: string; num?: boolean; title?: string; get: (r: T) => Cell };

function table<T>(id: string, rows: readonly T[], cols: readonly Col<T>[], caption?: string): string {
  const th = cols
    .map((c) => `<th data-type="${c.num ? 'num' : 'str'}"${c.num ? ' class="num"' : ''}${c.title ? ` title="${esc(c.title)}"` : ''}>${esc(c.head)}</th>`)
    .join('');
  const body = rows
    .map((r) => {
      const tds = cols.map((c) => {
        const cell = c.get(r);
        const attrs = [
          cell.v !== undefined && cell.v !== null && Number.isFinite(cell.v) ? ` data-v="${cell.v}"` : '',
          c.num || cell.cls ? ` class="${[c.num ? 'num' : '', cell.cls ?? ''].join(' ').trim()}"` : '',
          cell.title ? ` title="${esc(cell.title)}"` : '',
        ].join('');
        return `<td${attrs}>${esc(cell.text)}</td>`;
      });
      return `<tr>${tds.join('')}</tr>`;
    })
    .join('\n');
  return (
    `<div class="table-wrap"><table id="${id}" class="sortable">${caption ? `<caption>${esc(caption)}</caption>` : ''}` +
    `<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`
  );
}

function classesText(m: Record<string, number>, n = 3): string {
  const e = Object.entries(m).sort((a, b) => b[1] - a[1]);
  const s = e.slice(0, n).map(([k, v]) => (e.length === 1 ? k : `${k} ${v}`));
  return e.length > n ? `${s.join(', ')}, …` : s.join(', ');
}

/** Title of the chart-section placeholders: the page script fills every `.chart`. */
function chart(kind: string, height: number, index?: number, label?: string): string {
  return (
    `<div class="chart" data-chart="${kind}"${index !== undefined ? ` data-index="${index}"` : ''} style="height:${height}px"` +
    ` role="img"${label ? ` aria-label="${esc(label)}"` : ''}></div>`
  );
}

function empty(text: string): string {
  return `<p class="empty">${esc(text)}</p>`;
}

export function renderHtml(a: Analysis): string {
  const { echarts, echartsVersion, client } = loadAssets();
  const data = reportData(a);
  const unit = a.input.timeUnit;
  const d = (v: number | null | undefined) => formatDuration(v ?? null, unit);
  const inp = a.input;
  const rt = a.roundTrips;

  const num = (v: number | null | undefined, text?: string): Cell => ({ text: text ?? (v === null || v === undefined ? '-' : String(v)), v: v ?? null });
  const durCell = (v: number | null | undefined): Cell => ({ text: d(v), v: v ?? null });
  const pctCell = (v: number | null | undefined): Cell => ({ text: pct(v ?? null), v: v ?? null });
  const lat = <T extends StatsRow>(keys: (keyof LatencyStats & keyof StatsRow)[]): Col<T>[] =>
    keys.map((k) => ({
      head: { meanNs: 'Mean', p50Ns: 'p50', p90Ns: 'p90', p99Ns: 'p99', p999Ns: 'p99.9', maxNs: 'Max', minNs: 'Min', totalNs: 'Total', stddevNs: 'Stddev', count: 'Count' }[k],
      num: true,
      get: (r: T) => (k === 'count' ? num(r.count) : durCell(r[k] as number | null)),
    }));
  const shares = <T extends StatsRow>(time: boolean): Col<T>[] => [
    { head: 'Count', num: true, get: (r) => num(r.count) },
    { head: 'Share', num: true, title: 'share of all classified round trips', get: (r) => pctCell(r.share) },
    ...(time ? [{ head: 'Time%', num: true, title: 'share of the total round-trip time', get: (r: T) => pctCell(r.timeShare) }] : []),
  ];
  const roundTrips = a.mode === 'round-trips';

  // ---- Overview --------------------------------------------------------------------------------------------------
  const totalTime = a.mechanisms.reduce((s, m) => s + (m.totalNs ?? 0), 0);
  const sev = inp.diagnostics.bySeverity;
  const cards: string[] = [];
  cards.push(
    card(
      roundTrips ? 'Round trips' : 'Accesses',
      String(roundTrips ? rt.complete + rt.untimed : rt.accesses),
      roundTrips
        ? `${rt.exits} exits · ${rt.orphanExits} orphan exits · ${rt.orphanEntries} orphan entries · ${rt.discardedLost} lost-discarded` +
            (rt.filtered ? ` · ${rt.filtered} filtered out` : '')
        : 'no kvm_exit/kvm_entry in this trace: counts and the VMM phase only',
    ),
  );
  cards.push(
    roundTrips && totalTime > 0
      ? card(
          'Time in exits',
          d(totalTime),
          rt.vcpuTimeNs > 0
            ? `${pct(totalTime / rt.vcpuTimeNs)} of the ${d(rt.vcpuTimeNs)} of vCPU-thread time the trace covers`
            : 'vCPU-thread time unknown',
        )
      : card('Time in exits', 'not measurable', 'needs kvm_exit and kvm_entry'),
  );
  const byTime = [...a.mechanisms].filter((m) => m.timeShare !== null).sort((x, y) => (y.timeShare ?? 0) - (x.timeShare ?? 0));
  const topList = (roundTrips && byTime.length > 0 ? byTime : a.mechanisms)
    .slice(0, 3)
    .map((m) =>
      roundTrips && m.timeShare !== null
        ? `<li><span class="swatch" style="background:${data.colors[m.mechanism] ?? '#999'}"></span><b>${esc(m.mechanism)}</b> ${pct(m.timeShare)} of the time, ${pct(m.share)} of exits</li>`
        : `<li><span class="swatch" style="background:${data.colors[m.mechanism] ?? '#999'}"></span><b>${esc(m.mechanism)}</b> ${pct(m.share)} of accesses</li>`,
    )
    .join('');
  cards.push(`<div class="card wide"><h3>Top mechanisms${roundTrips ? ' by time' : ''}</h3><ul class="top">${topList || '<li>none</li>'}</ul></div>`);
  cards.push(modelCard(a.model));
  cards.push(
    `<div class="card"><h3>Diagnostics</h3><div class="big ${sev.error > 0 ? 'bad' : sev.dataLoss > 0 || sev.warning > 0 ? 'warn' : 'good'}">` +
      `${sev.error} error${sev.error === 1 ? '' : 's'}</div><div class="sub">${sev.dataLoss} data loss · ${sev.warning} warning · ${sev.info} info · ` +
      `${inp.unrecognizedLines} unrecognized lines</div></div>`,
  );

  // ---- Sections -------------------------------------------------------------------------------------------------
  const S: string[] = [];
  const res =
    unit === 'ticks' ? 'raw ticks' : inp.timestampResolutionNs === null ? 'no timestamps' : `${d(inp.timestampResolutionNs)} timestamps`;
  const noLatency = !roundTrips
    ? 'This trace has no kvm_exit/kvm_entry events, so round-trip latency cannot be measured (see the VMM phase below).'
    : 'No round trip in this trace has a duration (a kvm_exit followed by a kvm_entry on the same thread, both timestamped).';
  const noUnits = rt.classified === 0
    ? `No ${roundTrips ? 'round trip' : 'access'} was classified, so there is nothing to place in time.`
    : 'No timeline was collected for this analysis (it was made without the timeline collector).';

  S.push(section('latency', 'Latency distribution', data.cdf.length > 0
    ? 'Fraction of round trips shorter than a given latency, per mechanism (log axis; read a percentile where a curve crosses it). Click a legend entry to hide a mechanism.'
    : '', data.cdf.length > 0 ? chart('cdf', 400, undefined, 'latency CDF per mechanism') : empty(noLatency)));

  S.push(section('histograms', 'Histograms per mechanism', data.mechanismHistograms.length > 0
    ? `Round trips per latency bin (log axis, ${DISPLAY_NOTE(data)}).` : '',
    data.mechanismHistograms.length > 0
      ? `<div class="multiples">${data.mechanismHistograms.map((p, i) => chart('hist-mechanism', 230, i, `histogram of ${p.name}`)).join('')}</div>`
      : empty(noLatency)));

  if (data.reasonHistograms.length > 0) {
    S.push(section('reason-histograms', 'Histograms per exit reason',
      `The ${data.reasonHistograms.length === data.reasonsTotal ? '' : `${data.reasonHistograms.length} most frequent of ${data.reasonsTotal} `}exit reasons; bar colour = the reason's most frequent class.`,
      `<div class="multiples">${data.reasonHistograms.map((p, i) => chart('hist-reason', 230, i, `histogram of ${p.name}`)).join('')}</div>`));
  }

  if (roundTrips) {
    S.push(section('phases', 'Where the time goes: KVM or the VMM',
      data.phases.length > 0
        ? 'Share of each mechanism\'s round-trip time spent in KVM (kvm_exit → kvm_userspace_exit, and whole round trips that never leave the kernel) and in the VMM (kvm_userspace_exit → kvm_entry). Hover for the phase percentiles.'
        : '',
      data.phases.length > 0
        ? chart('phases', 60 + 34 * data.phases.length, undefined, 'kernel/VMM phase split')
        : empty('This trace holds no kvm_userspace_exit events, so it cannot tell time in KVM from time in the VMM. Record kvm:kvm_userspace_exit to see the split.')));
  } else {
    S.push(section('phases', 'The VMM phase', data.vmmPhases.length > 0
      ? 'The only timed part without kvm_exit/kvm_entry: kvm_userspace_exit → the thread\'s next KVM event, per mechanism that reached the VMM.' : '',
      data.vmmPhases.length > 0 ? chart('vmm-phases', 70 + 44 * data.vmmPhases.length, undefined, 'VMM phase per mechanism') : empty('No access reached the VMM.')));
  }

  const tl = a.timeline;
  S.push(section('timeline', `${roundTrips ? 'Exit' : 'Access'} rate over time`,
    tl !== undefined
      ? `${roundTrips ? 'Round trips' : 'Accesses'} per second per class, in ${data.timeline?.xs.length ?? 0} bins of ${tl !== undefined ? d(tl.binNs) : ''}` +
          ` (counted at their ${roundTrips ? 'kvm_exit' : 'first event'}). Drag the slider or scroll to zoom.` +
          (tl.untimed > 0 ? ` ${tl.untimed} without a timestamp are not shown.` : '')
      : '',
    data.timeline !== null && data.timeline.series.length > 0 ? chart('timeline', 400, undefined, 'exit rate over time') : empty(noUnits)));

  S.push(section('heatmap', `${roundTrips ? 'Exit' : 'Access'} rate per vCPU thread`,
    data.heatmap !== null
      ? `Each row is a vCPU thread, each column a time bin; darker = more ${roundTrips ? 'exits' : 'accesses'} per second. Empty cells had none.`
      : '',
    data.heatmap !== null && data.heatmap.cells.length > 0
      ? chart('heatmap', 110 + Math.max(3, data.heatmap.threads.length) * 26, undefined, 'exit rate per vCPU thread')
      : empty(noUnits)));

  S.push(modelSection(a.model, unit));

  // ---- Tables -----------------------------------------------------------------------------------------------------
  const T: string[] = [];
  const anyPhases = a.mechanisms.some((m) => m.phases !== undefined);
  T.push(`<h3 id="t-mechanisms">Mechanisms</h3>`);
  T.push(
    table('mechanisms', a.mechanisms, [
      { head: 'Class', get: (r) => ({ text: r.mechanism }) },
      ...shares<(typeof a.mechanisms)[number]>(roundTrips),
      ...(roundTrips ? lat<(typeof a.mechanisms)[number]>(['meanNs', 'p50Ns', 'p90Ns', 'p99Ns', 'p999Ns', 'maxNs']) : []),
      ...(anyPhases
        ? ([
            { head: 'To VMM', num: true, title: 'round trips that reached the VMM', get: (r) => num(r.phases?.vmm?.count ?? 0) },
            ...(roundTrips ? [{ head: 'Kernel p50', num: true, get: (r: (typeof a.mechanisms)[number]) => durCell(r.phases?.kernel?.p50Ns) }] : []),
            { head: 'VMM p50', num: true, get: (r) => durCell(r.phases?.vmm?.p50Ns) },
            { head: 'VMM p99', num: true, get: (r) => durCell(r.phases?.vmm?.p99Ns) },
          ] satisfies Col<(typeof a.mechanisms)[number]>[])
        : []),
      {
        head: 'Evidence',
        title: 'the events that decided the class (most frequent)',
        get: (r) => {
          const e = Object.entries(r.evidence);
          return { text: (e[0]?.[0] ?? '') + (e.length > 1 ? ` (+${e.length - 1})` : ''), title: e.map(([k, v]) => `${k}: ${v}`).join('\n') };
        },
      },
    ]),
  );
  if (a.exitReasons.length > 0) {
    T.push(`<h3 id="t-exit-reasons">Exit reasons</h3>`);
    T.push(
      table('exit-reasons', a.exitReasons, [
        { head: 'Reason', get: (r) => ({ text: r.reason }) },
        { head: 'ISA', get: (r) => ({ text: r.isa }) },
        ...shares<(typeof a.exitReasons)[number]>(roundTrips),
        ...lat<(typeof a.exitReasons)[number]>(['meanNs', 'p50Ns', 'p99Ns', 'maxNs']),
        { head: 'Classes', get: (r) => ({ text: classesText(r.classes) }) },
      ]),
    );
  }
  if (a.devices.length > 0) {
    T.push(`<h3 id="t-devices">Devices</h3>`);
    T.push(
      table('devices', a.devices, [
        { head: 'Space', get: (r: DeviceRow) => ({ text: r.space }) },
        { head: 'Address', num: true, get: (r) => ({ text: r.addressHex, v: r.address }) },
        { head: 'Device', get: (r) => ({ text: r.name || '-' }) },
        { head: 'Dir', get: (r) => ({ text: r.direction }) },
        { head: 'Sizes', get: (r) => ({ text: Object.keys(r.sizes).join('/') }) },
        ...shares<DeviceRow>(false),
        ...(roundTrips ? lat<DeviceRow>(['p50Ns', 'p99Ns', 'maxNs']) : []),
        ...(anyPhases ? [{ head: 'VMM p50', num: true, get: (r: DeviceRow) => durCell(r.phases?.vmm?.p50Ns) }] : []),
        { head: 'Class', get: (r) => ({ text: classesText(r.classes, 2) }) },
      ]),
    );
  }
  if (a.vcpus.length > 0) {
    T.push(`<h3 id="t-vcpus">vCPU threads</h3>`);
    T.push(
      table('vcpus', a.vcpus, [
        { head: 'Thread', get: (r) => ({ text: r.thread }) },
        { head: 'vCPU', num: true, get: (r) => num(r.vcpu >= 0 ? r.vcpu : null) },
        ...shares<(typeof a.vcpus)[number]>(roundTrips),
        ...(roundTrips ? lat<(typeof a.vcpus)[number]>(['meanNs', 'p50Ns', 'p99Ns', 'maxNs']) : []),
        { head: 'Top classes', get: (r) => ({ text: classesText(r.classes) }) },
      ]),
    );
  }
  S.push(section('tables', 'Tables', 'Click a column header to sort.', T.join('\n')));

  const diagRows = inp.diagnostics.byCode;
  S.push(
    section(
      'diagnostics',
      'Diagnostics',
      `Every line is an event, a header/blank line or a counted diagnostic: ${inp.lines} lines = ${inp.events} events + ` +
        `${inp.nonEventLines} headers/blank/continued + ${inp.unrecognizedLines} unrecognized.`,
      diagRows.length > 0
        ? table('diagnostics-table', diagRows, [
            { head: 'Severity', get: (r) => ({ text: r.severity, cls: `sev-${r.severity}` }) },
            { head: 'Code', get: (r) => ({ text: r.code }) },
            { head: 'Count', num: true, get: (r) => num(r.count) },
            { head: 'Message', get: (r) => ({ text: r.message }) },
            {
              head: 'First lines',
              get: (r) => ({
                text: r.samples
                  .slice(0, 3)
                  .map((s) => `${s.file}:${s.line}`)
                  .join(', '),
                title: r.samples.map((s) => `${s.file}:${s.line}  ${s.text}`).join('\n'),
              }),
            },
          ])
        : empty('No diagnostics: every line was understood.'),
    ),
  );

  const notes = a.notes.length > 0 ? `<section id="notes" class="notes"><ul>${a.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>` : '';
  const nav = [
    ['overview', 'Overview'],
    ['latency', 'Latency'],
    ['histograms', 'Histograms'],
    ['phases', roundTrips ? 'KVM / VMM' : 'VMM phase'],
    ['timeline', 'Timeline'],
    ['heatmap', 'vCPUs'],
    ['model', 'Model'],
    ['tables', 'Tables'],
    ['diagnostics', 'Diagnostics'],
  ]
    .map(([id, t]) => `<a href="#${id}">${t}</a>`)
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="exitlens ${esc(a.tool.version)}">
<title>${esc(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>exitlens <span class="files">${esc(inp.files.join(', '))}</span></h1>
<p class="meta">${esc(
    [
      inp.format,
      `${inp.lines} lines`,
      `${inp.events} events`,
      res,
      `ISA ${inp.isa}`,
      inp.spanNs !== null ? `span ${d(inp.spanNs)}` : '',
      inp.firstTimestamp !== null ? `first timestamp ${inp.firstTimestamp}` : '',
      roundTrips ? 'round trips (kvm_exit → kvm_entry)' : 'accesses (no kvm_exit/kvm_entry)',
    ]
      .filter((x) => x !== '')
      .join(' · '),
  )}</p>
<nav>${nav}</nav>
</header>
<main>
<section id="overview" class="cards">${cards.join('\n')}</section>
${notes}
${S.join('\n')}
</main>
<footer>exitlens ${esc(a.tool.version)} · schema ${esc(a.schema)} · plots by Apache ECharts ${esc(echartsVersion)} (Apache License 2.0), inlined: this file makes no network request.</footer>
<script type="application/json" id="exitlens-data">${jsonForScript(data satisfies ReportData)}</script>
<script>${echarts}</script>
<script type="module">${client}</script>
</body>
</html>
`;
}

function DISPLAY_NOTE(d: ReportData): string {
  return d.quantum > 1
    ? `bars of ⅛ octave, at least one ${formatDuration(d.quantum, d.unit)} timestamp step wide; the first bar holds the round trips shorter than one step`
    : 'bars of ⅛ octave';
}

function card(title: string, big: string, sub: string): string {
  return `<div class="card"><h3>${esc(title)}</h3><div class="big">${esc(big)}</div><div class="sub">${esc(sub)}</div></div>`;
}

function modelCard(m: ModelComparison | undefined): string {
  if (m === undefined) return `<div class="card"><h3>Cost model</h3><div class="big muted">no model applied</div><div class="sub">latencies are reported, not judged</div></div>`;
  const counts = new Map<string, number>();
  for (const r of m.rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  const judged = (counts.get('within') ?? 0) + (counts.get('faster') ?? 0) + (counts.get('slower') ?? 0);
  const ag = m.agreement;
  const big = judged === 0 ? 'nothing judged' : `${counts.get('within') ?? 0}/${judged} within`;
  const verdicts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([v, n]) => `${n} ${v}`);
  const agreement = [
    ag.spearmanRho !== null ? `Spearman ρ ${ag.spearmanRho.toFixed(2)}` : '',
    ag.mape !== null ? `MAPE ${(ag.mape * 100).toFixed(0)}%` : '',
  ].filter((x) => x !== '');
  return (
    `<div class="card"><h3>Cost model: ${esc(m.model.name)}</h3><div class="big${judged === 0 ? ' muted' : ''}">${esc(big)}</div>` +
    `<div class="sub">${esc([...agreement, ...verdicts].join(' · '))}</div></div>`
  );
}

function modelSection(m: ModelComparison | undefined, unit: Analysis['input']['timeUnit']): string {
  if (m === undefined) {
    return section('model', 'Cost model', '', empty('No model applied: this analysis has no cost-model comparison and no what-if savings.'));
  }
  const d = (v: number | null) => formatDuration(v, unit);
  const ag = m.agreement;
  const intro =
    `${m.model.title} (${m.model.source}). Observed median with its 95% bootstrap interval against the model's value ` +
    `and tolerance, on the trace's basis (${m.traceBasis}; hardware transition ${d(m.transitionNs)} from ${m.transitionSource}). ` +
    `Mechanisms with fewer than ${m.minSamples} samples are reported, not judged. Observed medians are coloured by ` +
    'verdict: green within the tolerance, blue faster, red slower, grey not judged.' +
    (ag.spearmanRho !== null ? ` Agreement: Spearman ρ = ${ag.spearmanRho.toFixed(2)}` : '') +
    (ag.mape !== null ? `, MAPE ${(ag.mape * 100).toFixed(1)}%` : '') +
    (ag.spearmanRho !== null || ag.mape !== null ? ` over ${ag.compared} mechanisms.` : '');
  const plotted = m.rows.filter((r) => r.observedMedianNs !== null || r.modelNs !== null).length;
  const rows = table('model-table', m.rows, [
    { head: 'Mechanism', get: (r) => ({ text: r.mechanism }) },
    { head: 'Samples', num: true, get: (r) => ({ text: String(r.samples), v: r.samples }) },
    { head: 'Observed p50', num: true, get: (r) => ({ text: d(r.observedMedianNs), v: r.observedMedianNs }) },
    {
      head: '95% CI',
      get: (r) => ({ text: r.medianCi95Ns === null ? '-' : `${d(r.medianCi95Ns[0])} – ${d(r.medianCi95Ns[1])}` }),
    },
    { head: 'Model', num: true, get: (r) => ({ text: d(r.modelNs), v: r.modelNs, title: r.modelValue !== null ? `${r.modelValue} ${r.modelUnit ?? ''} (${r.modelBasis ?? ''})` : '' }) },
    { head: 'Tolerance', num: true, get: (r) => ({ text: r.tolerance === null ? '-' : `±${Math.round(r.tolerance * 100)}%`, v: r.tolerance }) },
    { head: 'Ratio', num: true, get: (r) => ({ text: r.ratio === null ? '-' : r.ratio.toFixed(2), v: r.ratio }) },
    { head: 'Verdict', get: (r) => ({ text: r.verdict, cls: `verdict-${r.verdict}`, ...(r.note ? { title: r.note } : {}) }) },
    { head: 'Source', get: (r) => ({ text: (r.source ?? '-') + (r.extrapolated ? ' (extrapolated)' : '') }) },
  ]);
  const whatRows = [...m.whatIf].sort((x, y) => y.savedNs - x.savedNs);
  const what =
    m.whatIf.length > 0
      ? `<h3 id="whatif">What if</h3><p class="intro">vCPU time this trace would have saved had the round trips of one mechanism cost what another costs (observed here, or from the model).</p>` +
        chart('whatif', 50 + 36 * m.whatIf.length, undefined, 'what-if savings') +
        table('whatif-table', whatRows, [
          { head: 'From', get: (r) => ({ text: r.from }) },
          { head: 'To', get: (r) => ({ text: r.to }) },
          { head: 'Count', num: true, get: (r) => ({ text: String(r.count), v: r.count }) },
          { head: 'Each now', num: true, get: (r) => ({ text: d(r.observedNs), v: r.observedNs, title: r.observedFrom === 'model' ? 'from the model: the trace has no latency for it' : 'observed' }) },
          { head: 'Each as alternative', num: true, get: (r) => ({ text: d(r.alternativeNs), v: r.alternativeNs, title: r.alternativeFrom }) },
          { head: 'Saved', num: true, get: (r) => ({ text: d(r.savedNs), v: r.savedNs }) },
          { head: 'of vCPU time', num: true, get: (r) => ({ text: pct(r.shareOfVcpuTime), v: r.shareOfVcpuTime }) },
          { head: 'How', get: (r) => ({ text: r.how ?? '' }) },
        ])
      : `<h3 id="whatif">What if</h3>${empty('No what-if alternative applies to the mechanisms in this trace.')}`;
  const notes = (m.notes ?? []).length > 0 ? `<ul class="model-notes">${(m.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return section(
    'model',
    'Cost model',
    intro,
    notes + (plotted > 0 ? chart('model', 400, undefined, 'observed vs model') : empty('No mechanism of this trace is in the model.')) + rows + what,
  );
}

function section(id: string, title: string, intro: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${intro ? `<p class="intro">${esc(intro)}</p>` : ''}\n${body}\n</section>`;
}

/** GitHub-like light theme; system fonts only (no web fonts: nothing to download). */
const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#ffffff;--soft:#f6f8fa;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:16px 24px 0;border-bottom:1px solid var(--line);background:var(--soft)}
h1{margin:0;font-size:20px}h1 .files{font-weight:400;color:var(--muted);font-size:15px;margin-left:8px;word-break:break-all}
.meta{margin:4px 0 8px;color:var(--muted);font-size:13px}
nav a{display:inline-block;padding:6px 10px;color:var(--fg);text-decoration:none;font-size:13px;border-bottom:2px solid transparent}
nav a:hover{border-bottom-color:var(--accent)}
main{max-width:1280px;margin:0 auto;padding:8px 24px 32px}
section{margin:24px 0}h2{font-size:17px;margin:0 0 6px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:18px 0 6px}
.intro{color:var(--muted);margin:4px 0 10px;max-width:960px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--bg)}
.card h3{margin:0 0 4px;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.card .big{font-size:24px;font-weight:600}.card .sub{color:var(--muted);font-size:12px}
.card.wide{grid-column:span 2}.top{list-style:none;margin:0;padding:0}.top li{margin:2px 0}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.good{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}.muted{color:var(--muted)}
.model-notes{color:var(--muted);margin:0 0 8px}
.notes ul{margin:0;padding:10px 14px 10px 30px;background:#fff8c5;border:1px solid #d4a72c66;border-radius:8px}
.chart{width:100%;min-height:120px}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:8px 16px}
.empty{padding:14px;border:1px dashed var(--line);border-radius:8px;color:var(--muted);background:var(--soft)}
.error{padding:10px 24px;background:#ffebe9;color:#cf222e;margin:0}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:13px;margin:4px 0 12px;min-width:50%}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{background:var(--soft);cursor:pointer;user-select:none;position:sticky;top:0}
th[aria-sort=ascending]::after{content:" ▲";font-size:10px}th[aria-sort=descending]::after{content:" ▼";font-size:10px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}tbody tr:hover{background:#eef4ff}
.sev-error,.verdict-slower{color:#cf222e;font-weight:600}.sev-dataLoss,.sev-warning{color:#9a6700}
.verdict-within{color:#1a7f37;font-weight:600}.verdict-faster{color:#0969da;font-weight:600}
footer{max-width:1280px;margin:0 auto;padding:16px 24px 32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
@media print{nav{display:none}}
`;
