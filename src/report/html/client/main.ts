/**
 * The HTML report's page script (runs in the browser, inlined as a module script after Apache ECharts). Reads the
 * prepared series from `<script id="exitlens-data">` (see ../types.ts, ../series.ts), draws every `.chart`
 * container the page holds with ECharts' SVG renderer (crisp when zoomed or printed, and its legend is text a test
 * can read), and makes the tables sortable. It computes no statistic: everything was computed in Node.
 *
 * Compiled by its own tsconfig (DOM library) into dist/client/; only `import type` here, so the output has no
 * imports and runs as an inline script with no network access (the page's Content-Security-Policy forbids any).
 * When every chart is drawn, `<body data-exitlens="ready">`; each chart container gets `data-points` (the number of
 * data points it was given), which the browser test checks.
 */
import type * as EC from 'echarts';
import type { ModelComparison, ModelComparisonRow } from '../../../model/analysis.js';
import type { TimeUnit } from '../../../model/units.js';
import type { HistPanel, ReportData } from '../types.js';

declare const echarts: typeof EC;

type Option = EC.EChartsOption;

/** Same rule as model/units.ts `formatDuration`: unit chosen per magnitude, 3 significant digits. */
function dur(v: number | null | undefined, unit: TimeUnit): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (unit === 'ticks') return `${Math.round(v)}t`;
  const a = Math.abs(v);
  const trim = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
  if (a < 1_000) return `${Math.round(v)}ns`;
  if (a < 1_000_000) return `${trim(v / 1_000)}µs`;
  if (a < 1_000_000_000) return `${trim(v / 1_000_000)}ms`;
  return `${trim(v / 1_000_000_000)}s`;
}

/** Axis labels: shorter than `dur` (no trailing zeros). */
function durTick(v: number, unit: TimeUnit): string {
  if (unit === 'ticks') return `${v}t`;
  const a = Math.abs(v);
  const s = (x: number) => String(Number(x.toPrecision(3)));
  if (a < 1_000) return `${s(v)}ns`;
  if (a < 1_000_000) return `${s(v / 1_000)}µs`;
  if (a < 1_000_000_000) return `${s(v / 1_000_000)}ms`;
  return `${s(v / 1_000_000_000)}s`;
}

function pct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const v = x * 100;
  return v >= 10 ? `${v.toFixed(1)}%` : `${v.toFixed(2)}%`;
}

/** Rates and counts: 12.3k, 4.56M. */
function si(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toPrecision(3))}G`;
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

function seconds(v: number, perSecond: boolean): string {
  if (!perSecond) return `${si(v)}t`;
  return `${Number(v.toPrecision(3))}s`;
}

/** Bin start labels: as many decimals as the bin width needs (0.27 s bins → 0.1 s steps). */
function binLabel(v: number, width: number, perSecond: boolean): string {
  if (!perSecond) return `${si(v)}t`;
  const decimals = Math.max(0, Math.min(9, -Math.floor(Math.log10(width))));
  return `${v.toFixed(decimals)}s`;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

const TEXT = '#1f2328';
const MUTED = '#656d76';
const GRID_LINE = '#eaeef2';

/** Options every chart shares: no animation (screenshots and tests see the final frame), the page's font. */
const BASE: Option = {
  animation: false,
  textStyle: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif', color: TEXT },
};

function valueAxisStyle() {
  return { splitLine: { lineStyle: { color: GRID_LINE } }, axisLine: { lineStyle: { color: MUTED } }, axisLabel: { color: MUTED } };
}

interface Drawn {
  option: Option;
  points: number;
}

/** Latency CDF per mechanism, log x axis. */
function cdfChart(d: ReportData): Drawn {
  // Whole decades around the data: a µs-quantized trace starts at 1 µs, not at an empty 100 ns decade.
  const xs = d.cdf.flatMap((s) => s.points.map((p) => p[0])).filter((x) => x > 0);
  const min = 10 ** Math.floor(Math.log10(Math.min(...xs)));
  const max = 10 ** Math.ceil(Math.log10(Math.max(...xs)));
  return {
    points: d.cdf.reduce((n, s) => n + s.points.length, 0),
    option: {
      ...BASE,
      legend: { type: 'scroll', top: 0, data: d.cdf.map((s) => s.name) },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'line' },
        valueFormatter: (v) => pct(Number(v)),
        formatter: (ps) => {
          const arr = Array.isArray(ps) ? ps : [ps];
          const x = Number((arr[0]?.value as number[] | undefined)?.[0]);
          const lines = arr.map((p) => `${p.marker ?? ''}${esc(p.seriesName ?? '')}: ${pct(Number((p.value as number[])[1]))} shorter`);
          return [`< ${dur(x, d.unit)}`, ...lines].join('<br>');
        },
      },
      grid: { left: 64, right: 28, top: 44, bottom: 56 },
      xAxis: {
        type: 'log',
        min,
        max: max > min ? max : min * 10,
        name: 'round-trip latency (kvm_exit → kvm_entry), log scale',
        nameLocation: 'middle',
        nameGap: 30,
        axisLabel: { formatter: (v: number) => durTick(v, d.unit), color: MUTED },
        splitLine: { show: true, lineStyle: { color: GRID_LINE } },
        minorTick: { show: true },
      },
      yAxis: {
        type: 'value',
        min: 0,
        max: 1,
        name: 'fraction of round trips shorter',
        nameLocation: 'middle',
        nameGap: 44,
        ...valueAxisStyle(),
        axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%`, color: MUTED },
      },
      series: d.cdf.map((s) => ({
        type: 'line',
        name: s.name,
        data: s.points,
        showSymbol: s.points.length <= 2,
        symbolSize: 6,
        // F(x) = P(latency < x) is known exactly at the bin edges; values of an exact (one-quantum) bin all sit at its
        // low edge, so the curve rises at a point and stays flat to the next one.
        step: 'start',
        color: s.color,
        lineStyle: { width: 2 },
      })),
    },
  };
}

/** One histogram panel: bars drawn with their true width on a log axis (custom series: rectangles in data space). */
function histChart(p: HistPanel, unit: TimeUnit): Drawn {
  const first = p.bins[0];
  const last = p.bins[p.bins.length - 1];
  const lo = first?.[0] ?? 1;
  const hi = last?.[1] ?? 10;
  const renderItem: EC.CustomSeriesRenderItem = (_params, api) => {
    const a = api.coord([Number(api.value(0)), Number(api.value(2))]);
    const b = api.coord([Number(api.value(1)), 0]);
    const x0 = a[0] ?? 0;
    const y0 = a[1] ?? 0;
    const full = (b[0] ?? 0) - x0;
    // A 1 px gap separates bars wide enough to keep their shape; thinner ones touch.
    const w = Math.max(1, full >= 4 ? full - 1 : full);
    return { type: 'rect', shape: { x: x0, y: y0, width: w, height: Math.max(0, (b[1] ?? 0) - y0) }, style: { fill: p.color } };
  };
  return {
    points: p.bins.length,
    option: {
      ...BASE,
      title: {
        text: p.name,
        subtext: `n=${p.count} · p50 ${dur(p.p50Ns, unit)} · p99 ${dur(p.p99Ns, unit)}`,
        left: 'center',
        top: 0,
        textStyle: { fontSize: 13, fontWeight: 'bold', color: TEXT },
        subtextStyle: { fontSize: 11, color: MUTED },
        itemGap: 2,
      },
      tooltip: {
        trigger: 'item',
        formatter: (q) => {
          const v = (Array.isArray(q) ? q[0] : q)?.value as number[];
          return `[${dur(v[3] ?? 0, unit)}, ${dur(v[1] ?? 0, unit)}): <b>${v[2]}</b>`;
        },
      },
      grid: { left: 48, right: 16, top: 50, bottom: 34 },
      xAxis: {
        type: 'log',
        min: lo,
        max: hi,
        // Decade ticks plus both ends, so a panel within one decade is still labelled.
        axisLabel: { formatter: (v: number) => durTick(v, unit), color: MUTED, hideOverlap: true, showMinLabel: true, showMaxLabel: true },
        splitLine: { show: false },
      },
      yAxis: { type: 'value', minInterval: 1, ...valueAxisStyle(), axisLabel: { formatter: (v: number) => si(v), color: MUTED } },
      series: [{ type: 'custom', name: p.name, renderItem, encode: { x: [0, 1], y: 2 }, data: p.bins }],
    },
  };
}

/** Round-trip mode: each mechanism's time split into KVM (kernel) and VMM shares. */
function phaseChart(d: ReportData): Drawn {
  const rows = d.phases;
  const label = (i: number) => {
    const r = rows[i];
    return r === undefined ? '' : `${r.name} · mean ${dur(r.meanNs, d.unit)}`;
  };
  return {
    points: rows.length * 2,
    option: {
      ...BASE,
      legend: { top: 0, data: ['in KVM (kernel)', 'in the VMM'] },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (ps) => {
          const arr = Array.isArray(ps) ? ps : [ps];
          const r = rows[arr[0]?.dataIndex ?? -1];
          if (r === undefined) return '';
          return [
            `<b>${esc(r.name)}</b> · ${r.count} round trips, ${r.toVmm} reached the VMM`,
            `mean ${dur(r.meanNs, d.unit)} = ${pct(r.kernelShare)} in KVM, ${pct(r.vmmShare)} in the VMM`,
            `kernel phase p50 ${dur(r.kernelP50Ns, d.unit)}, mean ${dur(r.kernelMeanNs, d.unit)}`,
            `VMM phase p50 ${dur(r.vmmP50Ns, d.unit)}, mean ${dur(r.vmmMeanNs, d.unit)}`,
          ].join('<br>');
        },
      },
      grid: { left: 8, right: 28, top: 36, bottom: 30, containLabel: true },
      xAxis: { type: 'value', min: 0, max: 100, ...valueAxisStyle(), axisLabel: { formatter: '{value}%', color: MUTED } },
      yAxis: { type: 'category', inverse: true, data: rows.map((_, i) => label(i)), axisLabel: { color: TEXT } },
      series: [
        { name: 'in KVM (kernel)', type: 'bar', stack: 'share', color: '#4575b4', data: rows.map((r) => r.kernelShare * 100), barMaxWidth: 22 },
        { name: 'in the VMM', type: 'bar', stack: 'share', color: '#f46d43', data: rows.map((r) => r.vmmShare * 100), barMaxWidth: 22 },
      ],
    },
  };
}

/** Access mode: the VMM phase (kvm_userspace_exit → next KVM event) per mechanism, p50/p90/p99. */
function vmmPhaseChart(d: ReportData): Drawn {
  const rows = d.vmmPhases;
  const qs: { key: 'p50Ns' | 'p90Ns' | 'p99Ns'; name: string; color: string }[] = [
    { key: 'p50Ns', name: 'p50', color: '#4575b4' },
    { key: 'p90Ns', name: 'p90', color: '#fdae61' },
    { key: 'p99Ns', name: 'p99', color: '#d73027' },
  ];
  return {
    points: rows.length * qs.length,
    option: {
      ...BASE,
      legend: { top: 0, data: qs.map((q) => q.name) },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (ps) => {
          const arr = Array.isArray(ps) ? ps : [ps];
          const r = rows[arr[0]?.dataIndex ?? -1];
          if (r === undefined) return '';
          return `<b>${esc(r.name)}</b> · ${r.toVmm} reached the VMM<br>VMM phase p50 ${dur(r.p50Ns, d.unit)}, p90 ${dur(r.p90Ns, d.unit)}, p99 ${dur(r.p99Ns, d.unit)}, mean ${dur(r.meanNs, d.unit)}`;
        },
      },
      grid: { left: 8, right: 28, top: 36, bottom: 40, containLabel: true },
      xAxis: {
        type: 'value',
        name: 'VMM phase (kvm_userspace_exit → next KVM event)',
        nameLocation: 'middle',
        nameGap: 26,
        ...valueAxisStyle(),
        axisLabel: { formatter: (v: number) => durTick(v, d.unit), color: MUTED },
      },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name), axisLabel: { color: TEXT } },
      series: qs.map((q) => ({ name: q.name, type: 'bar' as const, color: q.color, data: rows.map((r) => r[q.key]), barMaxWidth: 12 })),
    },
  };
}

/** Exit rate over time, one line per class. */
function timelineChart(d: ReportData): Drawn {
  const t = d.timeline!;
  const half = t.binWidth / 2;
  const what = d.mode === 'accesses' ? 'accesses' : 'exits';
  const rate = t.perSecond ? `${what}/s` : `${what} per bin`;
  return {
    points: t.series.reduce((n, s) => n + s.values.length, 0),
    option: {
      ...BASE,
      legend: { type: 'scroll', top: 0, data: t.series.map((s) => s.name) },
      tooltip: {
        trigger: 'axis',
        formatter: (ps) => {
          const arr = (Array.isArray(ps) ? ps : [ps]).filter((p) => Number((p.value as number[])[1]) > 0);
          const x = Number(((Array.isArray(ps) ? ps[0] : ps)?.value as number[] | undefined)?.[0] ?? 0) - half;
          const head = `${seconds(x, t.perSecond)} – ${seconds(x + t.binWidth, t.perSecond)}`;
          return [head, ...arr.map((p) => `${p.marker ?? ''}${esc(p.seriesName ?? '')}: ${si(Number((p.value as number[])[1]))} ${rate}`)].join('<br>');
        },
      },
      grid: { left: 64, right: 28, top: 44, bottom: 84 },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
      xAxis: {
        type: 'value',
        min: t.xs[0] ?? 0,
        max: 'dataMax',
        name: t.perSecond ? 'seconds since the first event' : 'ticks since the first event',
        nameLocation: 'middle',
        nameGap: 28,
        ...valueAxisStyle(),
        // Only the axis's own round ticks: the data's first and last bin edges make odd labels (0.00132s).
        axisLabel: { formatter: (v: number) => seconds(v, t.perSecond), color: MUTED, showMinLabel: false, showMaxLabel: false },
      },
      yAxis: { type: 'value', name: rate, ...valueAxisStyle(), axisLabel: { formatter: (v: number) => si(v), color: MUTED } },
      series: t.series.map((s) => ({
        type: 'line',
        name: s.name,
        color: s.color,
        showSymbol: false,
        lineStyle: { width: 1.5 },
        data: s.values.map((v, i) => [(t.xs[i] ?? 0) + half, v]),
      })),
    },
  };
}

/** Exit rate per vCPU thread over time. */
function heatmapChart(d: ReportData): Drawn {
  const h = d.heatmap!;
  const what = d.mode === 'accesses' ? 'accesses' : 'exits';
  const rate = h.perSecond ? `${what}/s` : `${what} per bin`;
  return {
    points: h.cells.length,
    option: {
      ...BASE,
      tooltip: {
        trigger: 'item',
        formatter: (q) => {
          const v = (Array.isArray(q) ? q[0] : q)?.value as number[];
          const x = h.xs[v[0] ?? 0] ?? 0;
          return `${esc(h.threads[v[1] ?? 0] ?? '')}<br>${seconds(x, h.perSecond)} – ${seconds(x + h.binWidth, h.perSecond)}: <b>${si(v[2] ?? 0)}</b> ${rate}`;
        },
      },
      grid: { left: 8, right: 28, top: 10, bottom: 84, containLabel: true },
      xAxis: {
        type: 'category',
        data: h.xs.map((x) => binLabel(x, h.binWidth, h.perSecond)),
        name: h.perSecond ? 'seconds since the first event' : 'ticks since the first event',
        nameLocation: 'middle',
        nameGap: 28,
        splitArea: { show: false },
        axisLabel: { color: MUTED },
      },
      yAxis: { type: 'category', data: h.threads, inverse: true, axisLabel: { color: TEXT } },
      visualMap: {
        type: 'continuous',
        min: 0,
        max: Math.max(1, h.scaleMax),
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 240,
        text: [`${si(h.scaleMax)} ${rate}${h.max > h.scaleMax ? ' (p95; hotter cells saturate)' : ''}`, '0'],
        inRange: { color: ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'] },
      },
      series: [{ type: 'heatmap', name: rate, data: h.cells, progressive: 0 }],
    },
  };
}

const VERDICT_COLORS: Record<string, string> = { within: '#1a7f37', faster: '#0969da', slower: '#cf222e' };

/** Observed median (95 % bootstrap CI) against the model value (± its tolerance), log y axis. */
function modelChart(m: ModelComparison, unit: TimeUnit): Drawn {
  const rows = m.rows.filter((r) => r.observedMedianNs !== null || r.modelNs !== null);
  const names = rows.map((r) => r.mechanism);
  const band: EC.CustomSeriesRenderItem = (_p, api) => {
    const i = Number(api.value(0));
    const lo = Number(api.value(1));
    const hi = Number(api.value(2));
    const w = ((api.size?.([1, 0]) as number[] | undefined)?.[0] ?? 20) * 0.5;
    const a = api.coord([i, hi]);
    const b = api.coord([i, lo]);
    return {
      type: 'rect',
      shape: { x: (a[0] ?? 0) - w / 2, y: a[1] ?? 0, width: w, height: Math.max(1, (b[1] ?? 0) - (a[1] ?? 0)) },
      style: { fill: 'rgba(130,80,223,0.15)', stroke: 'rgba(130,80,223,0.5)' },
    };
  };
  const whisker: EC.CustomSeriesRenderItem = (_p, api) => {
    const i = Number(api.value(0));
    const a = api.coord([i, Number(api.value(1))]);
    const b = api.coord([i, Number(api.value(2))]);
    const x = a[0] ?? 0;
    const cap = 6;
    const stroke = { stroke: TEXT, lineWidth: 1.5 };
    return {
      type: 'group',
      children: [
        { type: 'line', shape: { x1: x, y1: a[1] ?? 0, x2: x, y2: b[1] ?? 0 }, style: stroke },
        { type: 'line', shape: { x1: x - cap, y1: a[1] ?? 0, x2: x + cap, y2: a[1] ?? 0 }, style: stroke },
        { type: 'line', shape: { x1: x - cap, y1: b[1] ?? 0, x2: x + cap, y2: b[1] ?? 0 }, style: stroke },
      ],
    };
  };
  const idx = (r: ModelComparisonRow) => names.indexOf(r.mechanism);
  // A log axis has no zero: values at or below 0 (a µs-quantized median of 0 ns, a CI reaching 0) are drawn at the
  // axis floor, the power of ten below the smallest positive value; the tooltip and the table give the true values.
  const positives = rows
    .flatMap((r) => [r.observedMedianNs, r.modelNs, r.medianCi95Ns?.[0] ?? null, r.medianCi95Ns?.[1] ?? null])
    .filter((v): v is number => v !== null && v > 0);
  const floor = 10 ** Math.floor(Math.log10(Math.min(...positives, 1e9) * (1 - Math.max(0, ...rows.map((r) => r.tolerance ?? 0)))));
  const y = (v: number) => Math.max(floor, v);
  const bandData = rows
    .filter((r) => r.modelNs !== null && r.tolerance !== null)
    .map((r) => [idx(r), y(r.modelNs! * (1 - r.tolerance!)), y(r.modelNs! * (1 + r.tolerance!))]);
  const ciData = rows.filter((r) => r.medianCi95Ns !== null).map((r) => [idx(r), y(r.medianCi95Ns![0]), y(r.medianCi95Ns![1])]);
  const modelData = rows.filter((r) => r.modelNs !== null).map((r) => [idx(r), y(r.modelNs!)]);
  const obsData = rows
    .filter((r) => r.observedMedianNs !== null)
    .map((r) => ({ value: [idx(r), y(r.observedMedianNs!)], itemStyle: { color: VERDICT_COLORS[r.verdict] ?? '#8c959f' } }));
  return {
    points: modelData.length + obsData.length,
    option: {
      ...BASE,
      legend: { top: 0, data: ['model ± tolerance', 'model', 'observed median', '95% CI of the median'] },
      tooltip: {
        trigger: 'item',
        formatter: (ps) => {
          const v = (Array.isArray(ps) ? ps[0] : ps)?.value as number[] | undefined;
          const r = rows[v?.[0] ?? -1];
          if (r === undefined) return '';
          const ci = r.medianCi95Ns === null ? '' : ` [${dur(r.medianCi95Ns[0], unit)}, ${dur(r.medianCi95Ns[1], unit)}]`;
          return [
            `<b>${esc(r.mechanism)}</b> · ${r.samples} samples · <b>${esc(r.verdict)}</b>`,
            `observed median ${dur(r.observedMedianNs, unit)}${ci}`,
            `model ${dur(r.modelNs, unit)}${r.tolerance !== null ? ` ± ${Math.round(r.tolerance * 100)}%` : ''}` +
              (r.ratio !== null ? ` · ratio ${r.ratio.toFixed(2)}` : ''),
            r.source !== null ? esc(r.source) + (r.extrapolated ? ' (extrapolated)' : '') : '',
          ].join('<br>');
        },
      },
      grid: { left: 64, right: 28, top: 44, bottom: 40 },
      xAxis: { type: 'category', data: names, axisLabel: { color: TEXT, interval: 0, rotate: names.length > 6 ? 20 : 0 } },
      yAxis: {
        type: 'log',
        min: floor,
        name: `median latency (${m.traceBasis === 'host' ? 'kvm_exit → kvm_entry' : 'guest round trip'}), log scale`,
        nameLocation: 'middle',
        nameGap: 48,
        ...valueAxisStyle(),
        axisLabel: { formatter: (v: number) => durTick(v, unit), color: MUTED },
      },
      series: [
        { type: 'custom', name: 'model ± tolerance', renderItem: band, data: bandData, encode: { x: 0, y: [1, 2] }, color: 'rgba(130,80,223,0.4)' },
        { type: 'custom', name: '95% CI of the median', renderItem: whisker, data: ciData, encode: { x: 0, y: [1, 2] }, color: TEXT },
        { type: 'scatter', name: 'model', data: modelData, symbol: 'diamond', symbolSize: 14, color: '#8250df' },
        { type: 'scatter', name: 'observed median', data: obsData, symbolSize: 10, color: '#57606a', z: 5 },
      ],
    },
  };
}

/** What-if: time saved if the round trips of one mechanism had used another. */
function whatIfChart(m: ModelComparison, unit: TimeUnit): Drawn {
  const rows = [...m.whatIf].sort((a, b) => b.savedNs - a.savedNs);
  const label = (i: number) => {
    const r = rows[i];
    return r === undefined ? '' : `${r.from} → ${r.to} (${r.count}×)`;
  };
  return {
    points: rows.length,
    option: {
      ...BASE,
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (ps) => {
          const arr = Array.isArray(ps) ? ps : [ps];
          const r = rows[arr[0]?.dataIndex ?? -1];
          if (r === undefined) return '';
          return [
            `<b>${esc(r.from)} → ${esc(r.to)}</b> · ${r.count} round trips`,
            `${dur(r.observedNs, unit)} each now${r.observedFrom === 'model' ? ' (model)' : ''}, ` +
              `${dur(r.alternativeNs, unit)} as ${esc(r.to)} (${r.alternativeFrom})`,
            `saves ${dur(r.savedNs, unit)} = ${pct(r.shareOfVcpuTime)} of the vCPU time`,
            r.how !== undefined ? `how: ${esc(r.how)}` : '',
          ]
            .filter((x) => x !== '')
            .join('<br>');
        },
      },
      grid: { left: 8, right: 120, top: 10, bottom: 36, containLabel: true },
      xAxis: {
        type: 'value',
        name: 'vCPU time saved in this trace',
        nameLocation: 'middle',
        nameGap: 24,
        ...valueAxisStyle(),
        axisLabel: { formatter: (v: number) => durTick(v, unit), color: MUTED },
      },
      yAxis: { type: 'category', inverse: true, data: rows.map((_, i) => label(i)), axisLabel: { color: TEXT } },
      series: [
        {
          type: 'bar',
          name: 'saved',
          color: '#1a7f37',
          barMaxWidth: 22,
          data: rows.map((r) => r.savedNs),
          label: {
            show: true,
            position: 'right',
            formatter: (p) => {
              const r = rows[p.dataIndex];
              return r === undefined ? '' : `${dur(r.savedNs, unit)} · ${pct(r.shareOfVcpuTime)}`;
            },
          },
        },
      ],
    },
  };
}

function draw(d: ReportData, el: HTMLElement): Drawn | null {
  const kind = el.dataset.chart ?? '';
  const i = Number(el.dataset.index ?? '0');
  switch (kind) {
    case 'cdf':
      return cdfChart(d);
    case 'hist-mechanism': {
      const p = d.mechanismHistograms[i];
      return p === undefined ? null : histChart(p, d.unit);
    }
    case 'hist-reason': {
      const p = d.reasonHistograms[i];
      return p === undefined ? null : histChart(p, d.unit);
    }
    case 'phases':
      return phaseChart(d);
    case 'vmm-phases':
      return vmmPhaseChart(d);
    case 'timeline':
      return d.timeline === null ? null : timelineChart(d);
    case 'heatmap':
      return d.heatmap === null ? null : heatmapChart(d);
    case 'model':
      return d.model === null ? null : modelChart(d.model, d.unit);
    case 'whatif':
      return d.model === null ? null : whatIfChart(d.model, d.unit);
    default:
      return null;
  }
}

/** Click a header to sort by it (numbers by their raw `data-v`, text otherwise); click again to reverse. */
function sortable(table: HTMLTableElement): void {
  const heads = Array.from(table.tHead?.rows[0]?.cells ?? []);
  heads.forEach((th, col) => {
    th.tabIndex = 0;
    const sort = () => {
      const body = table.tBodies[0];
      if (body === undefined) return;
      const dir = th.getAttribute('aria-sort') === 'descending' ? 1 : -1;
      for (const h of heads) h.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      const numeric = th.dataset.type === 'num';
      const key = (tr: HTMLTableRowElement) => {
        const c = tr.cells[col];
        const raw = c?.dataset.v ?? c?.textContent ?? '';
        return numeric ? (raw === '' ? Number.NEGATIVE_INFINITY : Number(raw)) : raw.toLowerCase();
      };
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = key(a);
        const y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      for (const r of rows) body.appendChild(r);
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        sort();
      }
    });
  });
}

function main(): void {
  const src = document.getElementById('exitlens-data');
  const d = JSON.parse(src?.textContent ?? 'null') as ReportData | null;
  if (d === null) throw new Error('exitlens report: the embedded data is missing');
  const charts: EC.ECharts[] = [];
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('.chart[data-chart]'))) {
    const drawn = draw(d, el);
    if (drawn === null) {
      el.dataset.points = '0';
      continue;
    }
    const c = echarts.init(el, null, { renderer: 'svg' });
    c.setOption(drawn.option);
    el.dataset.points = String(drawn.points);
    charts.push(c);
  }
  for (const t of Array.from(document.querySelectorAll<HTMLTableElement>('table.sortable'))) sortable(t);
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      for (const c of charts) c.resize();
    });
  });
  document.body.dataset.exitlens = 'ready';
}

try {
  main();
} catch (e) {
  document.body.dataset.exitlens = 'error';
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = `The charts could not be drawn: ${(e as Error).message}`;
  document.body.prepend(p);
  console.error(e);
}
