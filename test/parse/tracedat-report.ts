/**
 * Test helper: an independent, deliberately simple reader of `trace-cmd report` text (one regex per line), used
 * to check the binary trace.dat reader against what trace-cmd itself prints. It does not use exitlens' parsers.
 */
import { execFileSync } from 'node:child_process';
import type { TraceEvent } from '../../src/model/events.js';

export interface ReportRecord {
  instance: string;
  comm: string;
  pid: number;
  cpu: number;
  /** Time as printed: ns ('582.675678593', -t), µs ('582.675678') or raw ticks ('1430414879434'). */
  time: string;
  name: string;
  payload: string;
}

export interface ReportLost {
  instance: string;
  cpu: number;
  count: number | null;
}

export type ReportLine = { rec: ReportRecord } | { lost: ReportLost };

// [instance: ]  comm-pid [cpu] [irq flags (trace-cmd >= 3.3)] time: name: payload
const RECORD =
  /^(?:(\S+): )?\s*(.+)-(\d+)\s+\[(\d+)\]\s*(?:[.dDbXNnpBLlZzHhs0-9]{4,5}\s+)?(\d+(?:\.\d+)?): (\S+?):\s*(.*)$/;
const LOST = /^(?:(\S+): )?\s*CPU:(\d+) \[(?:(\d+) )?EVENTS DROPPED\]$/;

export function parseReport(text: string): ReportLine[] {
  const out: ReportLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('cpus=') || /^\S*:?\s*cpus=\d+$/.test(line)) continue;
    const l = LOST.exec(line);
    if (l !== null) {
      out.push({ lost: { instance: l[1] ?? '', cpu: Number(l[2]), count: l[3] === undefined ? null : Number(l[3]) } });
      continue;
    }
    const m = RECORD.exec(line);
    if (m === null) throw new Error(`unparsed report line: ${JSON.stringify(line)}`);
    out.push({
      rec: {
        instance: m[1] ?? '',
        comm: m[2]!.trim(),
        pid: Number(m[3]),
        cpu: Number(m[4]),
        time: m[5]!,
        name: m[6]!,
        payload: m[7]!,
      },
    });
  }
  return out;
}

/** 'secs.frac' (frac of 9 digits = ns, 6 = µs) or an integer → BigInt in that unit's smallest step (ns or µs). */
export function timeValue(t: string): bigint {
  const dot = t.indexOf('.');
  if (dot < 0) return BigInt(t);
  const frac = t.slice(dot + 1);
  return BigInt(t.slice(0, dot)) * 10n ** BigInt(frac.length) + BigInt(frac);
}

export function traceCmdAvailable(): boolean {
  try {
    execFileSync('trace-cmd', ['--version'], { stdio: 'pipe' });
    return true;
  } catch (e) {
    // trace-cmd --version exits non-zero on some versions but still prints its banner.
    const out = `${(e as { stdout?: Buffer }).stdout?.toString() ?? ''}${(e as { stderr?: Buffer }).stderr?.toString() ?? ''}`;
    return /trace-cmd version/.test(out);
  }
}

export function traceCmdReport(file: string): string {
  return execFileSync('trace-cmd', ['report', '-t', '-i', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  }).toString('utf8');
}

/** Event name of a decoded event, as the report names it. */
export function eventName(e: TraceEvent): string {
  switch (e.kind) {
    case 'exit':
      return 'kvm_exit';
    case 'entry':
      return 'kvm_entry';
    case 'pio':
      return 'kvm_pio';
    case 'mmio':
      return 'kvm_mmio';
    case 'fast_mmio':
      return 'kvm_fast_mmio';
    case 'hypercall':
      return e.flavor === 'kvm' ? 'kvm_hypercall' : e.flavor === 'hyperv' ? 'kvm_hv_hypercall' : 'kvm_xen_hypercall';
    case 'userspace_exit':
      return 'kvm_userspace_exit';
    case 'msr':
      return 'kvm_msr';
    case 'cpuid':
      return 'kvm_cpuid';
    case 'emulate_insn':
      return 'kvm_emulate_insn';
    case 'nested_vmexit':
      return e.inject ? 'kvm_nested_vmexit_inject' : 'kvm_nested_vmexit';
    case 'page_fault':
      return 'kvm_page_fault';
    case 'kvm_other':
    case 'other':
      return e.name;
    case 'lost':
      return '<lost>';
  }
}

/**
 * Key fields of a decoded KVM event, and the same fields read from the report payload (null = not compared).
 * Payload forms: kernel TP_printk, or libtraceevent plugin_kvm for kvm_exit / kvm_entry / kvm_emulate_insn.
 */
export function keyFields(e: TraceEvent): string | null {
  switch (e.kind) {
    case 'pio':
      return `${e.write ? 'write' : 'read'} ${e.port.toString(16)} ${e.size} ${e.count} ${e.val}`;
    case 'mmio':
      return `${e.op} ${e.len} ${e.gpa.toString(16)} ${e.val}`;
    case 'userspace_exit':
      return `${e.reason} ${e.code}`;
    case 'msr':
      return `${e.write ? 'write' : 'read'} ${e.index.toString(16)} ${e.val}${e.gp ? ' gp' : ''}`;
    case 'cpuid':
      return `${e.func.toString(16)} ${e.idx < 0 ? '' : e.idx.toString(16)}`;
    case 'emulate_insn':
      return `${e.insn}${e.failed ? ' failed' : ''}`;
    case 'exit':
      return `${e.rawReason} ${e.rip} ${e.info1} ${e.info2}`;
    case 'entry':
      return `${e.vcpu} ${e.rip}`;
    case 'hypercall':
      return e.nr;
    case 'fast_mmio':
      return e.gpa.toString(16);
    default:
      return null;
  }
}

export function reportKeyFields(name: string, payload: string): string | null {
  let m: RegExpExecArray | null;
  switch (name) {
    case 'kvm_pio':
      m = /^pio_(read|write) at 0x([0-9a-f]+) size (\d+) count (\d+)(?: val 0x([0-9a-f]+))?/.exec(payload);
      return m && `${m[1]} ${m[2]} ${m[3]} ${m[4]} ${m[5] ?? ''}`;
    case 'kvm_mmio':
      m = /^mmio (\S+) len (\d+) gpa 0x([0-9a-f]+) val 0x([0-9a-f]+)/.exec(payload);
      return m && `${m[1]} ${m[2]} ${m[3]} ${m[4]}`;
    case 'kvm_userspace_exit':
      m = /^reason (\S+) \((-?\d+)\)/.exec(payload);
      return m && `${m[1]} ${m[2]}`;
    case 'kvm_msr':
      m = /^msr_(read|write) ([0-9a-f]+) = 0x([0-9a-f]+)( \(#GP\))?/.exec(payload);
      return m && `${m[1]} ${m[2]} ${m[3]}${m[4] ? ' gp' : ''}`;
    case 'kvm_cpuid':
      m = /^func ([0-9a-f]+)(?: idx ([0-9a-f]+))?/.exec(payload);
      return m && `${m[1]} ${m[2] ?? ''}`;
    case 'kvm_emulate_insn':
      // plugin: "csbase:rip[ func]: bytes[ FAIL]"; kernel: "csbase:rip:bytes (mode)[ failed]"
      m = /^[0-9a-f]+:[0-9a-f]+(?:[^:]*)?:\s*(.*?)(?: \((?:real|vm16|prot16|prot32|prot64)\))?( FAIL| failed)?$/.exec(payload);
      return m && `${m[1]}${m[2] ? ' failed' : ''}`;
    case 'kvm_exit':
      // plugin: "reason NAME rip 0x..[ sym+off] info A B"
      m = /^reason (.+?) rip 0x([0-9a-f]+)(?: \S+)? info ([0-9a-f]+) ([0-9a-f]+)/.exec(payload);
      return m && `${m[1]} ${m[2]} ${m[3]} ${m[4]}`;
    case 'kvm_entry':
      m = /^\s*vcpu (\d+),? rip 0x([0-9a-f]+)/.exec(payload);
      return m && `${m[1]} ${m[2]}`;
    case 'kvm_hypercall':
      m = /^nr 0x([0-9a-f]+)/.exec(payload);
      return m && m[1]!;
    case 'kvm_fast_mmio':
      m = /^fast mmio at gpa 0x([0-9a-f]+)/.exec(payload);
      return m && m[1]!;
    default:
      return null;
  }
}
