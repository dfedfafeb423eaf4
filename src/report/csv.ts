/**
 * `--csv`: one table per call (mechanisms, exit reasons, vcpus or devices), RFC 4180 quoting, durations in ns.
 */
import type { Analysis, StatsRow } from '../model/analysis.js';

export type CsvTable = 'mechanisms' | 'exit-reasons' | 'vcpus' | 'devices';

const STAT_COLS: (keyof StatsRow)[] = [
  'count',
  'share',
  'timeShare',
  'totalNs',
  'meanNs',
  'stddevNs',
  'minNs',
  'p50Ns',
  'p90Ns',
  'p99Ns',
  'p999Ns',
  'maxNs',
];

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(10).replace(/\.?0+$/, '')) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(a: Analysis, which: CsvTable = 'mechanisms'): string {
  let head: string[];
  let rows: unknown[][];
  const stats = (r: StatsRow) => STAT_COLS.map((c) => r[c]);
  switch (which) {
    case 'mechanisms':
      head = ['mechanism', 'communication', ...STAT_COLS];
      rows = a.mechanisms.map((r) => [r.mechanism, r.communication, ...stats(r)]);
      break;
    case 'exit-reasons':
      head = ['isa', 'reason', ...STAT_COLS];
      rows = a.exitReasons.map((r) => [r.isa, r.reason, ...stats(r)]);
      break;
    case 'vcpus':
      head = ['thread', 'comm', 'tid', 'vcpu', ...STAT_COLS];
      rows = a.vcpus.map((r) => [r.thread, r.comm, r.tid, r.vcpu, ...stats(r)]);
      break;
    case 'devices':
      head = ['space', 'address', 'direction', 'name', ...STAT_COLS];
      rows = a.devices.map((r) => [r.space, r.addressHex, r.direction, r.name, ...stats(r)]);
      break;
  }
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
