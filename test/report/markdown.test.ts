/** `--markdown`: compact tables and the verdicts, every line under 100 columns, from real traces. */
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fixture, HAS_SHARED_LARGE, sharedLarge } from '../helpers.js';

const lab = fixture('lab', 'tracefs-user-kvm-pvm.txt.gz');

function expectNarrow(md: string): void {
  for (const l of md.split('\n')) expect(l.length, l).toBeLessThan(100);
}

describe('renderMarkdown', () => {
  it('lab capture: accesses table with the ground-truth counts, the model verdicts, the note', async () => {
    const { analysis: a } = await analyzeFiles([lab], { model: 'haskins-2009' });
    const md = renderMarkdown(a);
    expectNarrow(md);
    expect(md).toMatch(/^### exitlens: tracefs-user-kvm-pvm\.txt\.gz$/m);
    expect(md).toContain('**7025 accesses** (no kvm_exit/kvm_entry in this trace');
    expect(md).toContain('| Mechanism | Count | Share | To VMM | VMM p50 | VMM p99 | VMM max |');
    expect(md).toMatch(/^\| pio-vmm \| 2025 \| 28\.8% \| 2024 \| 11\.0µs \|/m);
    expect(md).toMatch(/^\| mmio-kernel \| 2000 \| 28\.5% \| 0 \| - \|/m);
    expect(md).toMatch(/^\| pio 0x20 W \| PIC master \(8259\) \| 1000 \|/m);
    expect(md).toContain('**Cost model haskins-2009**');
    for (const r of a.model!.rows) expect(md).toMatch(new RegExp(`^\\| ${r.mechanism} \\| ${r.samples} \\|.*\\| \\**${r.verdict}\\** \\|$`, 'm'));
    expect(md).toMatch(/^- This trace has no kvm_exit\/kvm_entry events/m);
  });

  it('without a model it says so', async () => {
    const { analysis: a } = await analyzeFiles([fixture('public', '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt')]);
    delete a.model;
    const md = renderMarkdown(a);
    expectNarrow(md);
    expect(md).toContain('_No cost model applied: latencies are reported, not judged._');
    expect(md).toContain('| pio-vmm | 1 | 100.0% | 100.0% | 55.0µs | 55.0µs | 55.0µs | 55.0µs |');
    expect(md).toContain('| IO_INSTRUCTION | 1 | 100.0% | 55.0µs | 55.0µs | pio-vmm |');
  });

  it.skipIf(!HAS_SHARED_LARGE)('94k round trips: mechanisms, top exit reasons, verdicts, notes', async () => {
    const { analysis: a } = await analyzeFiles([sharedLarge('01-hip24-thesis-host-2vms-110k.report-derived.txt')], { model: 'haskins-2009' });
    const md = renderMarkdown(a);
    expectNarrow(md);
    expect(md).toContain('**94144 round trips** (94147 exits; 3 orphan exits, 3 orphan entries, 0 lost-discarded)');
    expect(md).toContain('| apic | 49464 | 52.5% | 0.02% | 0ns | 1.00µs | 3.00µs | 27.0µs |');
    expect(md).toContain(`Exit reasons (top 10 of ${a.exitReasons.length}):`);
    expect(md).toMatch(/^\| EPT_MISCONFIG \| 9912 \| 10\.5% \| 1\.00µs \| 15\.0µs \| mmio-unknown \|$/m);
    expect(md).toMatch(/^- dataLoss `orphan_exit` ×3: /m);
  });
});
