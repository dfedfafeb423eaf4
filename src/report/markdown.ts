/**
 * Markdown summary (`analyze --markdown`): compact GitHub-flavoured tables and the verdicts, for a pull request or a
 * mailing-list reply. Every line stays under 100 columns (pipe tables are readable as plain text too, so the
 * rows are not padded). Renders an `Analysis`; computes nothing. Durations carry their unit (ns/µs/ms/s chosen per
 * magnitude, model/units.ts).
 */
import { basename } from 'node:path';
import type { Analysis, ModelComparison } from '../model/analysis.js';
import { formatDuration } from '../model/units.js';
import { pct, wrap } from './text.js';

export interface MarkdownOptions {
  /** Exit-reason and device rows shown (mechanisms are always all shown). */
  top?: number;
}

/** Longest line the renderer emits; mail clients and terminals wrap beyond ~100 columns. */
export const MARKDOWN_WIDTH = 99;

/** `|` inside a cell would split it. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function mdTable(head: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), `|${align.map((a) => (a === 'r' ? '--:' : ':--')).join('|')}|`, ...rows.map(line)];
}

function topClass(m: Record<string, number>): string {
  const e = Object.entries(m).sort((a, b) => b[1] - a[1]);
  return (e[0]?.[0] ?? '') + (e.length > 1 ? ` (+${e.length - 1})` : '');
}

function bullets(items: string[]): string[] {
  return items.flatMap((n) => wrap(n, MARKDOWN_WIDTH - 2).map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)));
}

export function renderMarkdown(a: Analysis, opts: MarkdownOptions = {}): string {
  const top = opts.top ?? 10;
  const unit = a.input.timeUnit;
  const d = (v: number | null | undefined) => formatDuration(v ?? null, unit);
  const inp = a.input;
  const rt = a.roundTrips;
  const roundTrips = a.mode === 'round-trips';
  const L: string[] = [];

  L.push(`### exitlens: ${inp.files.map((f) => basename(f)).join(', ')}`);
  L.push('');
  const res = unit === 'ticks' ? 'raw ticks' : inp.timestampResolutionNs === null ? 'no timestamps' : `${d(inp.timestampResolutionNs)} timestamps`;
  L.push(
    ...wrap(
      [inp.format, `${inp.lines} lines`, res, `ISA ${inp.isa}`, inp.spanNs !== null ? `span ${d(inp.spanNs)}` : '']
        .filter((x) => x !== '')
        .join(' · '),
      MARKDOWN_WIDTH,
    ),
  );
  L.push('');
  const totalTime = a.mechanisms.reduce((s, m) => s + (m.totalNs ?? 0), 0);
  const sev = inp.diagnostics.bySeverity;
  const head = roundTrips
    ? `**${rt.complete + rt.untimed} round trips** (${rt.exits} exits; ${rt.orphanExits} orphan exits, ` +
      `${rt.orphanEntries} orphan entries, ${rt.discardedLost} lost-discarded)` +
      (totalTime > 0 ? ` · **${d(totalTime)} in exits**` + (rt.vcpuTimeNs > 0 ? ` = ${pct(totalTime / rt.vcpuTimeNs)} of vCPU time` : '') : '')
    : `**${rt.accesses} accesses** (no kvm_exit/kvm_entry in this trace: counts and the VMM phase only)`;
  L.push(...wrap(`${head} · diagnostics: ${sev.error} error, ${sev.dataLoss} data loss, ${sev.warning} warning`, MARKDOWN_WIDTH));
  L.push('');

  if (roundTrips) {
    L.push(
      ...mdTable(
        ['Mechanism', 'Count', 'Share', 'Time%', 'p50', 'p90', 'p99', 'Max'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        a.mechanisms.map((m) => [m.mechanism, String(m.count), pct(m.share), pct(m.timeShare), d(m.p50Ns), d(m.p90Ns), d(m.p99Ns), d(m.maxNs)]),
      ),
    );
    const phased = a.mechanisms.filter((m) => (m.phases?.vmm?.count ?? 0) > 0);
    if (phased.length > 0) {
      L.push('');
      L.push('Kernel / VMM phases (kvm_exit → kvm_userspace_exit → kvm_entry):');
      L.push('');
      L.push(
        ...mdTable(
          ['Mechanism', 'To VMM', 'Kernel p50', 'Kernel p99', 'VMM p50', 'VMM p99'],
          ['l', 'r', 'r', 'r', 'r', 'r'],
          phased.map((m) => [
            m.mechanism,
            String(m.phases?.vmm?.count ?? 0),
            d(m.phases?.kernel?.p50Ns),
            d(m.phases?.kernel?.p99Ns),
            d(m.phases?.vmm?.p50Ns),
            d(m.phases?.vmm?.p99Ns),
          ]),
        ),
      );
    }
  } else {
    L.push(
      ...mdTable(
        ['Mechanism', 'Count', 'Share', 'To VMM', 'VMM p50', 'VMM p99', 'VMM max'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
        a.mechanisms.map((m) => [
          m.mechanism,
          String(m.count),
          pct(m.share),
          String(m.phases?.vmm?.count ?? 0),
          d(m.phases?.vmm?.p50Ns),
          d(m.phases?.vmm?.p99Ns),
          d(m.phases?.vmm?.maxNs),
        ]),
      ),
    );
  }

  if (roundTrips && a.exitReasons.length > 0) {
    L.push('');
    L.push(`Exit reasons${a.exitReasons.length > top ? ` (top ${top} of ${a.exitReasons.length})` : ''}:`);
    L.push('');
    L.push(
      ...mdTable(
        ['Exit reason', 'Count', 'Share', 'p50', 'p99', 'Class'],
        ['l', 'r', 'r', 'r', 'r', 'l'],
        a.exitReasons
          .slice(0, top)
          .map((r) => [r.isa === inp.isa ? r.reason : `${r.reason} (${r.isa})`, String(r.count), pct(r.share), d(r.p50Ns), d(r.p99Ns), topClass(r.classes)]),
      ),
    );
  }

  if (a.devices.length > 0) {
    L.push('');
    L.push(`Devices${a.devices.length > top ? ` (top ${top} of ${a.devices.length})` : ''}:`);
    L.push('');
    L.push(
      ...mdTable(
        ['Access', 'Device', 'Count', roundTrips ? 'p50' : 'VMM p50', 'Class'],
        ['l', 'l', 'r', 'r', 'l'],
        a.devices
          .slice(0, top)
          .map((r) => [
            `${r.space} ${r.addressHex} ${r.direction === 'write' ? 'W' : 'R'}`,
            r.name || '-',
            String(r.count),
            d(roundTrips ? r.p50Ns : r.phases?.vmm?.p50Ns),
            topClass(r.classes),
          ]),
      ),
    );
  }

  L.push('');
  L.push(...modelMarkdown(a.model, d));

  const problems = inp.diagnostics.byCode.filter((g) => g.severity !== 'info');
  if (problems.length > 0 || a.notes.length > 0) {
    L.push('');
    L.push(...bullets([...problems.map((g) => `${g.severity} \`${g.code}\` ×${g.count}: ${g.message}`), ...a.notes]));
  }
  return `${L.join('\n')}\n`;
}

function modelMarkdown(m: ModelComparison | undefined, d: (v: number | null | undefined) => string): string[] {
  if (m === undefined) return ['_No cost model applied: latencies are reported, not judged._'];
  const L: string[] = [];
  const ag = m.agreement;
  const agreement =
    ag.compared === 0
      ? ': no mechanism of this trace could be judged'
      : (ag.spearmanRho !== null ? `: Spearman ρ ${ag.spearmanRho.toFixed(2)}` : ':') +
        (ag.mape !== null ? `${ag.spearmanRho !== null ? ',' : ''} MAPE ${(ag.mape * 100).toFixed(1)}%` : '') +
        ` over ${ag.compared} mechanism${ag.compared === 1 ? '' : 's'}`;
  L.push(
    ...wrap(
      `**Cost model ${m.model.name}** (${m.traceBasis} basis)${agreement}; fewer than ${m.minSamples} samples are not judged.`,
      MARKDOWN_WIDTH,
    ),
  );
  if ((m.notes ?? []).length > 0) {
    L.push('');
    L.push(...bullets(m.notes ?? []));
  }
  L.push('');
  L.push(
    ...mdTable(
      ['Mechanism', 'n', 'Observed p50 [95% CI]', 'Model', 'Ratio', 'Verdict'],
      ['l', 'r', 'r', 'r', 'r', 'l'],
      m.rows.map((r) => [
        r.mechanism,
        String(r.samples),
        `${d(r.observedMedianNs)}${r.medianCi95Ns !== null ? ` [${d(r.medianCi95Ns[0])}, ${d(r.medianCi95Ns[1])}]` : ''}`,
        r.modelNs === null ? '-' : `${d(r.modelNs)}${r.tolerance !== null ? ` ±${Math.round(r.tolerance * 100)}%` : ''}`,
        r.ratio === null ? '-' : r.ratio.toFixed(2),
        r.verdict === 'within' ? 'within' : r.verdict === 'faster' || r.verdict === 'slower' ? `**${r.verdict}**` : r.verdict,
      ]),
    ),
  );
  const what = [...m.whatIf].sort((x, y) => y.savedNs - x.savedNs).slice(0, 3);
  if (what.length > 0) {
    L.push('');
    L.push('What if:');
    L.push('');
    L.push(
      ...bullets(
        what.map(
          (w) =>
            `${w.count} × ${w.from} as ${w.to} (${d(w.observedNs)} → ${d(w.alternativeNs)}, ${w.alternativeFrom}): ` +
            `saves ${d(w.savedNs)} = ${pct(w.shareOfVcpuTime)} of vCPU time` +
            (w.how !== undefined ? ` — ${w.how}` : ''),
        ),
      ),
    );
  }
  return L;
}
