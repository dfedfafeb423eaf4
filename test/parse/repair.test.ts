/**
 * The repair stage (src/parse/repair/) on the damaged public excerpts and on tiny inline traces, one per step.
 * Expected counts per excerpt were counted by eye from the files (the record lists are in the comments).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFiles, analyzeText } from '../../src/analyze.js';
import type { Analysis } from '../../src/model/analysis.js';
import { detectDamage } from '../../src/parse/repair/index.js';
import { decodeQp, stripQuote, unwrapCode } from '../../src/parse/repair/lines.js';
import { splitCutRecord } from '../../src/parse/repair/cut-columns.js';
import { fixture, HAS_SHARED_LARGE, mechanismCounts, sharedLarge } from '../helpers.js';

const pub = (prefix: string): string => {
  const names = [
    '003-github-kvm-example-aout-trace-pipe.txt',
    '004-linux-kvm-org-perf-events-old-trace-pipe.txt',
    '009-lkml-2023-hyperv-tdp-mmu-exception-nmi.txt',
    '011-kvm-list-2024-preemption-timer-hypercall.txt',
    '013-kvm-list-2022-perf-record-triple-fault.txt',
    '016-blog-qemu-kvm-1gb-pages-trace-cmd-report.txt',
    '019-kvm-list-2023-ept-violation-deadlock-flowed.txt',
    '020-kvm-list-2019-jailhouse-nested-loop-trace-cmd.txt',
    '025-go-test-firecracker-perf-script-claimed-verbatim.txt',
    '027-kvm-list-2023-arm64-nv-kvm-exit-hsr-ec-wrapped.txt',
    '028-python-comment-trace-cmd-raw-ts-amd-exit-ioio.txt',
  ];
  const n = names.find((f) => f.startsWith(prefix));
  if (n === undefined) throw new Error(prefix);
  return readFileSync(fixture('public', n), 'utf8');
};

const codes = (a: Analysis): Record<string, number> =>
  Object.fromEntries(a.input.diagnostics.byCode.map((d) => [d.code, d.count]));
const accounted = (a: Analysis) => {
  const i = a.input;
  expect(i.events + i.nonEventLines + i.unrecognizedLines).toBe(i.lines);
};

describe('damaged public excerpts: every KVM record recovered', () => {
  it('019 format=flowed: 57 records, each split after the padded event name, all rejoined', () => {
    // By eye: 57 header lines "CPU-3532xx [0xx] 5473778.7703xx: <event>:" each followed by its payload line:
    // write_msr 10, kvm_exit 10 (all EPT_VIOLATION), kvm_entry 10, kvm_page_fault 9, rcu_utilization 18.
    const a = analyzeText(pub('019')).analysis;
    expect(a.input.eventCounts).toEqual({ rcu_utilization: 18, kvm_entry: 10, kvm_exit: 10, write_msr: 10, kvm_page_fault: 9 });
    // 124 lines = 57 records + 57 continuation lines + 2 blank + 8 mail header/prose lines.
    expect(a.input).toMatchObject({ lines: 124, events: 57, nonEventLines: 59, unrecognizedLines: 8, format: 'trace-cmd' });
    // Per thread (by eye): 353245 entry|exit→entry|exit→entry; 353246 3 trips; 353247 2 trips (one of 2 µs);
    // 353248 2 trips and a last exit without entry.
    expect(a.roundTrips).toMatchObject({ exits: 10, entries: 10, complete: 9, orphanExits: 1, orphanEntries: 1 });
    expect(mechanismCounts(a)).toEqual({ 'page-fault': 9 });
    expect(a.exitReasons.map((r) => [r.reason, r.count])).toEqual([['EPT_VIOLATION', 9]]);
    const pf = a.mechanisms[0]!;
    expect([pf.minNs, pf.p50Ns, pf.maxNs, pf.totalNs]).toEqual([1000, 1000, 2000, 10_000]);
    expect(a.vcpus.map((v) => [v.thread, v.count]).sort()).toEqual([
      ['CPU-353245/vcpu0', 2],
      ['CPU-353246/vcpu1', 3],
      ['CPU-353247/vcpu2', 2],
      ['CPU-353248/vcpu3', 2],
    ]);
    const c = codes(a);
    expect(c.repaired_flowed).toBe(57);
    expect(c.bad_payload).toBeUndefined();
    accounted(a);
  });

  it('027 arm64, `>> ` quoted and wrapped mid-payload: 6 exits and 6 entries, 5 round trips', () => {
    // By eye: tid 768: exit, entry, exit, entry, exit (IRQ, 1 µs trips); tid 1085576: entry, exit, entry, exit,
    // entry, exit, entry (TRAP IABT_LOW: 45, 2, 2 µs). Every record is split after "IRQ:"/"TRAP:"/"PC:".
    const a = analyzeText(pub('027')).analysis;
    expect(a.input.eventCounts).toEqual({ kvm_entry: 6, kvm_exit: 6 });
    expect(a.input.isa).toBe('arm64');
    expect(a.roundTrips).toMatchObject({ exits: 6, entries: 6, complete: 5, orphanExits: 1, orphanEntries: 1 });
    expect(mechanismCounts(a)).toEqual({ 'page-fault': 3, interrupt: 2 });
    expect(a.exitReasons.map((r) => [r.reason, r.count, r.maxNs])).toEqual([
      ['IABT_LOW', 3, 45_000],
      ['IRQ', 2, 1000],
    ]);
    expect(a.vcpus.map((v) => v.thread).sort()).toEqual(['aarch32_id_regs-1085576', 'aarch32_id_regs-768']);
    const c = codes(a);
    expect([c.repaired_quote_prefix, c.repaired_rejoined, c.bad_payload]).toEqual([12, 12, undefined]);
    // 40 lines = 12 records + 12 continuations + 3 blank (`>>` only) + 13 prose/header lines.
    expect(a.input).toMatchObject({ lines: 40, events: 12, nonEventLines: 15, unrecognizedLines: 13 });
  });

  it('009 `> ` quoted ftrace: the quote is not part of the thread name', () => {
    // By eye: kvm_exit (EXCEPTION_NMI), a kprobe event, kvm_entry: one 94 µs round trip of vcpu 0.
    const a = analyzeText(pub('009')).analysis;
    expect(a.input.eventCounts).toEqual({ kvm_entry: 1, kvm_exit: 1, p_hv_track_root_tdp_0: 1 });
    expect(a.roundTrips).toMatchObject({ exits: 1, complete: 1 });
    expect(a.vcpus.map((v) => v.thread)).toEqual(['qemu-system-x86-18971/vcpu0']);
    expect(a.mechanisms[0]).toMatchObject({ mechanism: 'exception', count: 1, p50Ns: 94_000 });
    expect(codes(a).repaired_quote_prefix).toBe(3);
  });

  it('025 perf lines inside Go string literals: 3 kvm_entry records parse', () => {
    // By eye: three `"… kvm:kvm_entry:  vcpu N rip 0x…\n" +` lines (vcpu 1, 1, 0); no exit in the excerpt.
    const a = analyzeText(pub('025')).analysis;
    expect(a.input).toMatchObject({ format: 'perf-script', eventCounts: { kvm_entry: 3 } });
    expect(a.roundTrips).toMatchObject({ exits: 0, entries: 3, orphanEntries: 3 });
    const c = codes(a);
    expect([c.repaired_code_wrapping, c.bad_payload]).toEqual([3, undefined]);
  });

  it('013 perf with comm/tid cut by the author: 4 records counted as cut columns', () => {
    // By eye: kvm_entry, kvm_exit (TRIPLE_FAULT), kvm_fpu, kvm_userspace_exit (KVM_EXIT_SHUTDOWN); the exit has
    // no entry after it. The QEMU simpletrace lines (`15268@…:kvm_run_exit`) are QEMU's, not KVM records.
    const a = analyzeText(pub('013')).analysis;
    expect(a.input.eventCounts).toEqual({ kvm_entry: 1, kvm_exit: 1, kvm_fpu: 1, kvm_userspace_exit: 1 });
    expect(a.roundTrips).toMatchObject({ exits: 1, entries: 1, complete: 0, orphanExits: 1 });
    expect(codes(a).cut_columns).toBe(4);
  });

  it('028 trace-cmd lines in Python comments: 2 records, comm without the `#`', () => {
    // By eye: `#   <...>-105662 [002] …: kvm_update_master_clock: …` and `#   qemu-system-x86-20667 [010] …:
    // kvm_exit: reason EXIT_IOIO …` (integer timestamps; SVM plugin name).
    const a = analyzeText(pub('028')).analysis;
    expect(a.input.eventCounts).toEqual({ kvm_exit: 1, kvm_update_master_clock: 1 });
    expect(a.input.isa).toBe('svm');
    expect(codes(a).repaired_code_wrapping).toBe(2);
  });

  it('011: prose right after a complete record is not swallowed as a continuation', () => {
    // By eye: kvm_hypercall, kvm_exit (PREEMPTION_TIMER), then the indented prose " VMX timer exit, VMCS = …".
    const a = analyzeText(pub('011')).analysis;
    expect(a.input.eventCounts).toEqual({ kvm_exit: 1, kvm_hypercall: 1 });
    expect(codes(a).repaired_rejoined).toBeUndefined();
    expect(codes(a).bad_payload).toBeUndefined();
    expect(a.input.diagnostics.byCode.find((d) => d.code === 'unrecognized_line')!.count).toBe(11);
  });

  it.each(['003', '004', '011', '016', '020'])('%s (clean records): repair changes no number', (p) => {
    const on = analyzeText(pub(p)).analysis;
    const off = analyzeText(pub(p), { repair: false }).analysis;
    expect(on).toEqual(off);
  });

  it('020 copied from a narrow terminal (cut inside words at 60 and 40 columns) or tabified: all 17 records', () => {
    // By eye: 17 records — kvm_fpu 4, kvm_nested_vmexit 3, kvm_entry 2, kvm_exit 2, kvm_mmu_get_page 2, kvm_pio 2,
    // kvm_userspace_exit 2; one complete pio-vmm round trip (IO_INSTRUCTION to port 0x5658, 55 µs).
    const text = pub('020');
    const base = analyzeText(text).analysis;
    const cut = (w: number) => text.split('\n').map((l) => l.match(new RegExp(`.{1,${w}}`, 'g'))?.join('\n') ?? '').join('\n');
    for (const t of [cut(60), cut(40), text.replace(/ {2,}/g, '\t')]) {
      const a = analyzeText(t).analysis;
      expect(a.input.eventCounts).toEqual(base.input.eventCounts);
      expect(a.mechanisms.map((m) => [m.mechanism, m.count, m.p50Ns])).toEqual([['pio-vmm', 1, 55_000]]);
      expect(a.devices.map((d) => d.addressHex)).toEqual(['0x5658']);
      accounted(a);
    }
  });

  it('--no-repair leaves the damage in place (019 payloads unparsed again)', () => {
    const off = analyzeText(pub('019'), { repair: false }).analysis;
    expect(codes(off).bad_payload).toBe(29);
    expect(codes(off).repaired_flowed).toBeUndefined();
    expect(off.exitReasons[0]?.reason).toBe('(unparsed)');
  });
});

describe('repair steps on inline traces', () => {
  const clean = [
    ' qemu-system-x86-6660  [007]   398.691475: kvm_exit:             reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0',
    ' qemu-system-x86-6660  [007]   398.691478: kvm_userspace_exit:   reason KVM_EXIT_IO (2)',
    ' qemu-system-x86-6660  [007]   398.691527: kvm_pio:              pio_read at 0x5658 size 4 count 1 val 0x4 ',
    ' qemu-system-x86-6660  [007]   398.691530: kvm_entry:            vcpu 3',
    '',
  ].join('\n');
  const base = analyzeText(clean).analysis;
  const same = (t: string) => {
    const a = analyzeText(t).analysis;
    expect(a.input.eventCounts).toEqual(base.input.eventCounts);
    expect(a.mechanisms).toEqual(base.mechanisms);
    expect(a.roundTrips).toEqual(base.roundTrips);
    accounted(a);
    return a;
  };

  it('the clean trace is one pio-vmm round trip of 55 µs, and repair stays off, with prose around it too', () => {
    expect(mechanismCounts(base)).toEqual({ 'pio-vmm': 1 });
    expect(base.mechanisms[0]!.p50Ns).toBe(55_000);
    expect(detectDamage(clean.split('\n'))).toBeNull();
    expect(detectDamage(['Here is what I see:', '$ trace-cmd report', ...clean.split('\n'), 'Any idea?'])).toBeNull();
  });

  it('quoted-printable: =3D escapes and soft line breaks', () => {
    const qp = [
      'Content-Transfer-Encoding: quoted-printable',
      '',
      ' qemu-system-x86-6660  [007]   398.691475: kvm_exit:             reason IO_INS=',
      'TRUCTION rip 0x7fa9ee5224e4 info 5658000b 0',
      ' qemu-system-x86-6660  [007]   398.691478: kvm_userspace_exit:   reason KVM_=',
      'EXIT_IO (2)',
      ' qemu-system-x86-6660  [007]   398.691527: kvm_pio:              pio_read at=',
      ' 0x5658 size 4 count 1 val 0x4=20',
      ' qemu-system-x86-6660  [007]   398.691530: kvm_entry:            vcpu 3',
      '',
    ].join('\n');
    const a = same(qp);
    expect(codes(a).repaired_qp).toBe(3);
    expect(a.input.lines).toBe(9);
    expect(decodeQp('a =3D b =C3=A9=20').text).toBe('a = b é ');
  });

  it('QP is not assumed for a clean trace that prints `=` (vcpu=0 prev=0) or starts with `cpus=20`', () => {
    const t = ' a.out-20024 [001] d... 2323301.154551: kvm_write_tsc_offset: vcpu=0 prev=0 next=18439928704022336791';
    expect(detectDamage([t])).toBeNull();
    expect(detectDamage(['cpus=20', ' qemu-1 [000] 1.000000: kvm_exit: reason HLT rip 0x1 info 0 0'])).toBeNull();
    // Quoted, the prologue is still not QP (`=20` would otherwise decode to a blank).
    expect(detectDamage(['> cpus=20', '>  qemu-1 [000] 1.000000: kvm_exit: reason HLT rip 0x1 info 0 0'])?.qp).toBe(false);
  });

  it.skipIf(!HAS_SHARED_LARGE)('clean captures (../shared/fixtures/large) never enter the repair stage', async () => {
    for (const f of ['02-hip24-thesis-host-2vms-23k.report-derived.txt', '05-hip24-thesis-host-report-all-events.txt']) {
      const head = readFileSync(sharedLarge(f), 'utf8').slice(0, 256 * 1024).split('\n').slice(0, 400);
      expect(detectDamage(head), f).toBeNull();
      const on = (await analyzeFiles([sharedLarge(f)])).analysis;
      const off = (await analyzeFiles([sharedLarge(f)], { repair: false })).analysis;
      expect(on).toEqual(off);
    }
  });

  it('hard wrap with indented continuation lines, header cut after the timestamp', () => {
    const wrapped = [
      ' qemu-system-x86-6660  [007]   398.691475: kvm_exit:             reason IO_INSTRUCTION',
      '     rip 0x7fa9ee5224e4 info',
      '     5658000b 0',
      ' qemu-system-x86-6660  [007]   398.691478:',
      '     kvm_userspace_exit:   reason KVM_EXIT_IO (2)',
      ' qemu-system-x86-6660  [007]   398.691527: kvm_pio:              pio_read at 0x5658 size',
      '  4 count 1 val 0x4',
      ' qemu-system-x86-6660  [007]',
      '   398.691530: kvm_entry:            vcpu 3',
      '',
    ].join('\n');
    const a = same(wrapped);
    expect(codes(a).repaired_rejoined).toBe(4);
    expect(a.input).toMatchObject({ lines: 9, events: 4, nonEventLines: 5 });
  });

  it('quote prefixes of every depth and style, mixed with prose and shell prompts', () => {
    const t = [
      'On Mon, 8 Jul 2019, Jan Kiszka wrote:',
      '> > $ sudo trace-cmd report',
      ...clean.trimEnd().split('\n').map((l, i) => ['> > ', '>> ', '>>', '> >'][i % 4] + l),
      '> > Any idea?',
      '',
    ].join('\n');
    const a = same(t);
    expect(codes(a).repaired_quote_prefix).toBe(4);
    expect(codes(a).unrecognized_line).toBe(3);
  });

  it('format=flowed with space-stuffing and quoting', () => {
    const t = [
      '>  qemu-system-x86-6660  [007]   398.691475: kvm_exit:             ',
      '> reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0',
      '>  qemu-system-x86-6660  [007]   398.691478: kvm_userspace_exit:   reason ',
      '> KVM_EXIT_IO (2)',
      '>  qemu-system-x86-6660  [007]   398.691527: kvm_pio:              pio_read at ',
      '> 0x5658 size 4 count 1 val 0x4',
      '>  qemu-system-x86-6660  [007]   398.691530: kvm_entry:            vcpu 3',
      '',
    ].join('\n');
    const a = same(t);
    expect(codes(a).repaired_flowed).toBe(4);
  });

  it('columns cut at the CPU, the timestamp or the event name: events counted, untimed without a timestamp', () => {
    const rows = clean.trimEnd().split('\n');
    const cut = (re: RegExp) => `${rows.map((l) => l.replace(re, '')).join('\n')}\n`;
    // Cut at the CPU: no thread, but timed (records pair by CPU).
    const atCpu = analyzeText(cut(/^.*?(?=\[007\])/)).analysis;
    expect(atCpu.input.eventCounts).toEqual(base.input.eventCounts);
    expect(atCpu.mechanisms.map((m) => [m.mechanism, m.count, m.p50Ns])).toEqual([['pio-vmm', 1, 55_000]]);
    expect(codes(atCpu).cut_columns).toBe(4);
    // Cut at the event name (perf's `kvm:` name too): counted, classified, not timed.
    const atName = analyzeText(cut(/^.*?398\.\d+: /).replace('kvm_entry:', 'kvm:kvm_entry:')).analysis;
    expect(atName.input.eventCounts).toEqual(base.input.eventCounts);
    expect(atName.roundTrips).toMatchObject({ exits: 1, entries: 1, complete: 0, untimed: 1 });
    expect(mechanismCounts(atName)).toEqual({ 'pio-vmm': 1 });
    expect(atName.mechanisms[0]!.p50Ns).toBeNull();
    expect(codes(atName)).toMatchObject({ cut_columns: 4, missing_timestamp: 1 });
    // Mixed levels in one paste: every record still counted.
    const t = [
      '[007]   398.691475: kvm_exit:             reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0',
      '398.691478: kvm_userspace_exit:   reason KVM_EXIT_IO (2)',
      'kvm_pio:              pio_read at 0x5658 size 4 count 1 val 0x4',
      'kvm:kvm_entry: vcpu 3',
      '',
    ].join('\n');
    const a = analyzeText(t).analysis;
    expect(a.input.eventCounts).toEqual(base.input.eventCounts);
    expect(codes(a).cut_columns).toBe(4);
    accounted(a);
    expect(splitCutRecord('kvm_intel: VMX timer exit, EXIT_REASON = 34')).toBeNull();
  });

  it('records in string literals and comments; no-break spaces; \\r\\r\\n line ends', () => {
    const lines = clean.trimEnd().split('\n');
    const t = [
      `\tout := "${lines[0]!.replace(/"/g, '\\"')}\\n" +`,
      `// ${lines[1]}`,
      lines[2]!.replace(/ /g, '\u00a0'),
      `${lines[3]}\r\r`, // CRLF converted twice: the splitter drops one \r, repair the other
      '',
    ].join('\n');
    const a = same(t);
    expect(codes(a)).toMatchObject({ repaired_code_wrapping: 2, repaired_spaces: 2 });
    expect(unwrapCode('"just a string" +')).toBeNull();
    expect(stripQuote('> > x')).toEqual({ depth: 2, rest: 'x' });
  });

  it('a clean trace that turns damaged after the sniff window switches repair on there', () => {
    const n = 500; // beyond the 400-line sniff window
    const rows: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = (1000 + i * 10).toString();
      rows.push(` qemu-1 [000] 1.${t.padStart(6, '0')}: kvm_exit: reason HLT rip 0x1 info 0 0`);
      rows.push(` qemu-1 [000] 1.${(Number(t) + 5).toString().padStart(6, '0')}: kvm_entry: vcpu 0`);
    }
    // Prose alone does not switch repair on (it is skipped either way); the first line repair would change does:
    // here the rest of a wrapped payload (that record is lost: bad_payload), then quoted, wrapped records follow.
    rows.push('and later, from the other thread:');
    rows.push(' qemu-1 [000] 2.000000: kvm_exit: reason HLT rip 0x1 info1', '  0x0 info2 0x0', ' qemu-1 [000] 2.000005: kvm_entry: vcpu 0');
    rows.push('> qemu-1 [000] 2.000010: kvm_exit: reason HLT rip 0x1', '> info 0 0', '> qemu-1 [000] 2.000015: kvm_entry: vcpu 0', '');
    const a = analyzeText(rows.join('\n')).analysis;
    expect(a.roundTrips).toMatchObject({ exits: n + 2, complete: n + 2 });
    expect(codes(a)).toMatchObject({ repaired_quote_prefix: 2, repaired_rejoined: 1, unrecognized_line: 2, bad_payload: 1 });
    accounted(a);
  });

  it('a truncated last line is data loss (truncated_line), not a malformed record', () => {
    const a = analyzeText(`${clean} qemu-system-x86-6660  [007]   398.691540: kvm_exit:             reason IO_INS`).analysis;
    expect(codes(a)).toMatchObject({ truncated_line: 1 });
    expect(codes(a).bad_payload).toBeUndefined();
    expect(a.roundTrips.orphanExits).toBe(1);
  });
});
