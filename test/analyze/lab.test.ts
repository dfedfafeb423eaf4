/**
 * The lab capture (fixtures/lab): a real trace with exact ground truth. Mechanism counts must equal the truth
 * exactly, and device attribution must name the ports/GPAs the workload used.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.js';
import { fixture, mechanismCounts } from '../helpers.js';

interface Phase {
  name: string;
  ops: number;
  userspace_exits: Record<string, number>;
  ioeventfd_signals: Record<string, number>;
}
const truth = JSON.parse(readFileSync(fixture('lab', 'truth-tracefs-user.json'), 'utf8')) as {
  phases: Phase[];
  markers: { marker_pio_exits_total: number };
};
const phase = (n: string) => truth.phases.find((p) => p.name === n)!;

describe('lab capture (kvm_pvm host, no kvm_exit/kvm_entry)', async () => {
  const { analysis: a } = await analyzeFiles([fixture('lab', 'tracefs-user-kvm-pvm.txt.gz')]);

  it('is analyzed in access mode and says why latency is missing', () => {
    expect(a.mode).toBe('accesses');
    expect(a.input.format).toBe('ftrace');
    expect(a.roundTrips.exits).toBe(0);
    expect(a.notes.join(' ')).toMatch(/round-trip latency cannot be measured/);
  });

  it('mechanism counts equal the ground truth exactly', () => {
    const expected = {
      // VMM-handled port I/O: the out and in phases plus every phase marker (start/end per phase, one done).
      'pio-vmm':
        phase('pio_out_user').userspace_exits.KVM_EXIT_IO! +
        phase('pio_in_user').userspace_exits.KVM_EXIT_IO! +
        truth.markers.marker_pio_exits_total,
      'pio-kernel': phase('pio_out_ioeventfd').ioeventfd_signals.pio_0x20!,
      'mmio-vmm': phase('mmio_write_user').userspace_exits.KVM_EXIT_MMIO!,
      'mmio-kernel':
        phase('mmio_write_ioeventfd').ioeventfd_signals.mmio_0x10001000_len4! +
        phase('mmio_write_ioeventfd_len0').ioeventfd_signals.mmio_0x10002000_len0!,
      cpuid: phase('cpuid_pvm_int1a').ops,
    };
    expect(expected).toEqual({ 'pio-vmm': 2025, 'pio-kernel': 1000, 'mmio-vmm': 1000, 'mmio-kernel': 2000, cpuid: 1000 });
    expect(mechanismCounts(a)).toEqual(expected);
  });

  it('attributes every access to the port or GPA the workload used', () => {
    const dev = Object.fromEntries(a.devices.map((d) => [`${d.space} ${d.addressHex} ${d.direction}`, d.count]));
    expect(dev).toMatchObject({
      'pio 0x10 write': 1000,
      'pio 0x11 read': 1000,
      'pio 0x20 write': 1000,
      'mmio 0x10000000 write': 1000,
      'mmio 0x10001000 write': 1000,
      'mmio 0x10002000 write': 1000,
    });
  });

  it('measures the VMM phase of VMM-handled accesses', () => {
    const pv = a.mechanisms.find((m) => m.mechanism === 'pio-vmm')!;
    // The final "done" marker is the last event: its VMM phase has no end in the trace.
    expect(pv.phases?.vmm?.count).toBe(2024);
    expect(pv.phases?.vmm?.p50Ns).toBeGreaterThan(1000);
    expect(pv.p50Ns).toBeNull();
    const mk = a.mechanisms.find((m) => m.mechanism === 'mmio-kernel')!;
    expect(mk.phases).toBeUndefined();
  });

  it('accounts for every line', () => {
    expect(a.input.lines).toBe(25149);
    expect(a.input.events + a.input.nonEventLines + a.input.unrecognizedLines).toBe(a.input.lines);
    expect(a.input.unrecognizedLines).toBe(0);
    expect(a.input.timestampResolutionNs).toBe(1000);
  });
});
