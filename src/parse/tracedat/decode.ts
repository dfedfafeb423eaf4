/**
 * Record payloads → TraceEvent. Each event ID gets a decoder built once from its format (field offsets, sizes and
 * signedness as the format file gives them); records are then decoded with plain Buffer reads.
 *
 * Fields used (arch/x86/kvm/trace.h, include/trace/events/kvm.h; checked on this project's 6.18 host formats):
 * - kvm_exit: exit_reason, guest_rip, isa (1 = VMX, 2 = SVM; absent on old kernels → VMX as plugin_kvm assumes),
 *   info1, info2, intr_info, error_code, vcpu_id. The reason name comes from the number (canonicalizeReason in
 *   ../exit-reasons.ts): VMX basic reason = bits 0-15 and flags from bits 16-31, so a FAILED_VMENTRY exit is named
 *   correctly where libtraceevent's plugin prints "UNKNOWN (n)".
 * - kvm_entry: vcpu_id, rip, immediate_exit (6.9+).
 * - kvm_pio: rw, port, size, count, val (val absent before ~3.x).
 * - kvm_mmio: type (KVM_TRACE_MMIO_READ_UNSATISFIED 0, READ 1, WRITE 2), len, gpa, val.
 * - kvm_fast_mmio: gpa. kvm_hypercall: nr. kvm_hv_hypercall: code. kvm_xen_hypercall: nr.
 * - kvm_userspace_exit: reason, errno (signed): errno -4 (EINTR) → "restart", other negative → "error" with
 *   code = -errno, as the kernel's TP_printk does.
 * - kvm_msr: write, ecx, data, exception. kvm_cpuid: function, index (5.7+).
 * - kvm_emulate_insn: insn[15] and len → bytes as space-separated hex ("e6 f0"), failed.
 * - kvm_nested_vmexit: exit_reason (5.10+) or exit_code, isa; kvm_nested_vmexit_inject: exit_code, isa.
 * - kvm_page_fault: fault_address (or address), error_code.
 * Other kvm_* events → kvm_other; everything else → other (named without the system). comm comes from the saved
 * cmdlines: pid 0 → "<idle>", unknown → "<...>" (libtraceevent tep_data_comm_from_pid).
 */
import type { Diagnostics } from '../../model/diagnostics.js';
import type { CanonicalReason } from '../exit-reasons.js';
import { canonicalizeReason, kvmUserspaceExitName } from '../exit-reasons.js';
import type { Isa, MmioOp, TraceEvent } from '../../model/events.js';
import { type EventFormat, type EventFormatText, type FieldDef, parseEventFormat } from './format.js';

const enum K {
  Other,
  KvmOther,
  Exit,
  Entry,
  Pio,
  Mmio,
  FastMmio,
  Hypercall,
  HvHypercall,
  XenHypercall,
  UserspaceExit,
  Msr,
  Cpuid,
  EmulateInsn,
  NestedVmexit,
  NestedVmexitInject,
  PageFault,
}

/** A field position: offset, size, signedness; `size` 0 = absent. */
interface F {
  o: number;
  s: number;
  signed: boolean;
}

const ABSENT: F = { o: 0, s: 0, signed: false };

interface Dec {
  kind: K;
  name: string;
  minLen: number;
  pid: F;
  a: F;
  b: F;
  c: F;
  d: F;
  e: F;
  f: F;
  g: F;
  h: F;
}

const TWO32 = 4294967296;

function field(fmt: EventFormat, ...names: string[]): F {
  for (const n of names) {
    const f: FieldDef | undefined = fmt.byName.get(n);
    if (f !== undefined && !f.dynamic && f.size > 0) return { o: f.offset, s: f.size, signed: f.signed };
  }
  return ABSENT;
}

function kindOf(fmt: EventFormat): K {
  switch (fmt.name) {
    case 'kvm_exit':
      return K.Exit;
    case 'kvm_entry':
      return K.Entry;
    case 'kvm_pio':
      return K.Pio;
    case 'kvm_mmio':
      return K.Mmio;
    case 'kvm_fast_mmio':
      return K.FastMmio;
    case 'kvm_hypercall':
      return K.Hypercall;
    case 'kvm_hv_hypercall':
      return K.HvHypercall;
    case 'kvm_xen_hypercall':
      return K.XenHypercall;
    case 'kvm_userspace_exit':
      return K.UserspaceExit;
    case 'kvm_msr':
      return K.Msr;
    case 'kvm_cpuid':
      return K.Cpuid;
    case 'kvm_emulate_insn':
      return K.EmulateInsn;
    case 'kvm_nested_vmexit':
      return K.NestedVmexit;
    case 'kvm_nested_vmexit_inject':
      return K.NestedVmexitInject;
    case 'kvm_page_fault':
      return K.PageFault;
    default:
      return fmt.name.startsWith('kvm_') ? K.KvmOther : K.Other;
  }
}

function buildDec(fmt: EventFormat): Dec {
  const kind = kindOf(fmt);
  const d: Dec = {
    kind,
    name: fmt.name,
    minLen: 0,
    pid: field(fmt, 'common_pid'),
    a: ABSENT,
    b: ABSENT,
    c: ABSENT,
    d: ABSENT,
    e: ABSENT,
    f: ABSENT,
    g: ABSENT,
    h: ABSENT,
  };
  switch (kind) {
    case K.Exit:
      d.a = field(fmt, 'exit_reason');
      d.b = field(fmt, 'guest_rip');
      d.c = field(fmt, 'isa');
      d.d = field(fmt, 'info1');
      d.e = field(fmt, 'info2');
      d.f = field(fmt, 'intr_info');
      d.g = field(fmt, 'error_code');
      d.h = field(fmt, 'vcpu_id');
      break;
    case K.Entry:
      d.a = field(fmt, 'vcpu_id');
      d.b = field(fmt, 'rip');
      d.c = field(fmt, 'immediate_exit');
      break;
    case K.Pio:
      d.a = field(fmt, 'rw');
      d.b = field(fmt, 'port');
      d.c = field(fmt, 'size');
      d.d = field(fmt, 'count');
      d.e = field(fmt, 'val');
      break;
    case K.Mmio:
      d.a = field(fmt, 'type');
      d.b = field(fmt, 'len');
      d.c = field(fmt, 'gpa');
      d.d = field(fmt, 'val');
      break;
    case K.FastMmio:
      d.a = field(fmt, 'gpa');
      break;
    case K.Hypercall:
    case K.XenHypercall:
      d.a = field(fmt, 'nr');
      break;
    case K.HvHypercall:
      d.a = field(fmt, 'code');
      break;
    case K.UserspaceExit:
      d.a = field(fmt, 'reason');
      d.b = field(fmt, 'errno');
      break;
    case K.Msr:
      d.a = field(fmt, 'write');
      d.b = field(fmt, 'ecx');
      d.c = field(fmt, 'data');
      d.d = field(fmt, 'exception');
      break;
    case K.Cpuid:
      d.a = field(fmt, 'function');
      d.b = field(fmt, 'index');
      break;
    case K.EmulateInsn:
      d.a = field(fmt, 'insn');
      d.b = field(fmt, 'len');
      d.c = field(fmt, 'failed');
      break;
    case K.NestedVmexit:
    case K.NestedVmexitInject:
      d.a = field(fmt, 'exit_reason', 'exit_code');
      d.c = field(fmt, 'isa');
      break;
    case K.PageFault:
      d.a = field(fmt, 'fault_address', 'address');
      d.b = field(fmt, 'error_code');
      break;
    default:
      break;
  }
  for (const f of [d.pid, d.a, d.b, d.c, d.d, d.e, d.f, d.g, d.h]) if (f.s > 0) d.minLen = Math.max(d.minLen, f.o + f.s);
  return d;
}

function isaOf(v: number): Isa {
  return v === 1 ? 'vmx' : v === 2 ? 'svm' : 'unknown';
}

export class RecordDecoder {
  /** Formats by ID; a decoder is built from its format at the first record of that ID. */
  private readonly formats: (EventFormatText | undefined)[] = [];
  private readonly byId: (Dec | undefined)[] = [];
  private readonly typeOff: number;
  private readonly typeSize: number;
  private readonly comms = new Map<number, string>();
  private readonly reasons = new Map<number, CanonicalReason>();

  constructor(
    formats: readonly EventFormatText[],
    cmdlines: ReadonlyMap<number, string>,
    private readonly le: boolean,
    private readonly diag: Diagnostics,
    private readonly fileIndex: number,
  ) {
    let typeF: F | null = null;
    for (const fmt of formats) {
      if (fmt.id < 0 || fmt.id > 0xffff) continue;
      if (this.formats[fmt.id] === undefined) this.formats[fmt.id] = fmt;
      if (typeF === null) {
        // Every event shares the common fields; the first format that parses gives common_type's place.
        const t = field(parseEventFormat(fmt), 'common_type');
        if (t.s > 0) typeF = t;
      }
    }
    this.typeOff = typeF?.o ?? 0;
    this.typeSize = typeF?.s ?? 2;
    for (const [pid, comm] of cmdlines) this.comms.set(pid, comm);
    this.comms.set(0, '<idle>');
  }

  private decoderFor(id: number): Dec | undefined {
    const d = this.byId[id];
    if (d !== undefined) return d;
    const f = this.formats[id];
    if (f === undefined) return undefined;
    const built = buildDec(parseEventFormat(f));
    this.byId[id] = built;
    return built;
  }

  private u(b: Buffer, o: number, s: number): number {
    const le = this.le;
    switch (s) {
      case 1:
        return b[o]!;
      case 2:
        return le ? b.readUInt16LE(o) : b.readUInt16BE(o);
      case 4:
        return le ? b.readUInt32LE(o) : b.readUInt32BE(o);
      case 8:
        return le ? b.readUInt32LE(o + 4) * TWO32 + b.readUInt32LE(o) : b.readUInt32BE(o) * TWO32 + b.readUInt32BE(o + 4);
      default:
        return 0;
    }
  }

  private i(b: Buffer, o: number, s: number): number {
    const le = this.le;
    switch (s) {
      case 1:
        return b.readInt8(o);
      case 2:
        return le ? b.readInt16LE(o) : b.readInt16BE(o);
      case 4:
        return le ? b.readInt32LE(o) : b.readInt32BE(o);
      case 8:
        return le ? b.readInt32LE(o + 4) * TWO32 + b.readUInt32LE(o) : b.readInt32BE(o) * TWO32 + b.readUInt32BE(o + 4);
      default:
        return 0;
    }
  }

  /** Unsigned field as lower-case hex without 0x ('' when absent). */
  private hex(b: Buffer, base: number, f: F): string {
    if (f.s === 0) return '';
    const o = base + f.o;
    if (f.s === 8) {
      const le = this.le;
      const lo = le ? b.readUInt32LE(o) : b.readUInt32BE(o + 4);
      const hi = le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o);
      return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0');
    }
    return this.u(b, o, f.s).toString(16);
  }

  private num(b: Buffer, base: number, f: F): number {
    if (f.s === 0) return -1;
    return f.signed ? this.i(b, base + f.o, f.s) : this.u(b, base + f.o, f.s);
  }

  private reason(code: number, isaField: number): CanonicalReason {
    const key = code * 4 + (isaField === 1 ? 1 : isaField === 2 ? 2 : 0);
    let r = this.reasons.get(key);
    if (r === undefined) {
      r = canonicalizeReason('', isaOf(isaField), code);
      this.reasons.set(key, r);
    }
    return r;
  }

  private lastPid = -1;
  private lastComm = '';

  comm(pid: number): string {
    // Consecutive records mostly come from one thread: skip the map lookup then.
    if (pid === this.lastPid) return this.lastComm;
    const c = this.comms.get(pid) ?? '<...>';
    this.lastPid = pid;
    this.lastComm = c;
    return c;
  }

  /**
   * Decode one record. `fileOffset` is only used for diagnostics.
   */
  decode(
    b: Buffer,
    r: number,
    len: number,
    ts: number,
    cpu: number,
    instance: string,
    line: number,
    fileOffset: number,
  ): TraceEvent {
    const source = { file: this.fileIndex, line };
    if (len < this.typeOff + this.typeSize) {
      this.diag.add('bad_payload', source, `record ${line} at offset 0x${fileOffset.toString(16)}: ${len}-byte record has no event type`);
      return { kind: 'other', ts, cpu, tid: -1, comm: '', instance, source, name: 'unknown_event' };
    }
    const id = this.u(b, r + this.typeOff, this.typeSize);
    const d = this.byId[id] ?? this.decoderFor(id);
    if (d === undefined) {
      // No format for this ID (trace-cmd prints "[UNKNOWN TYPE n]"): counted under this name.
      return { kind: 'other', ts, cpu, tid: -1, comm: '', instance, source, name: `unknown_event_${id}` };
    }
    const pid = d.pid.s > 0 && len >= d.pid.o + d.pid.s ? this.num(b, r, d.pid) : -1;
    const comm = pid < 0 ? '' : this.comm(pid);
    if (len < d.minLen) {
      if (d.kind !== K.Other && d.kind !== K.KvmOther) {
        this.diag.add(
          'bad_payload',
          source,
          `record ${line} at offset 0x${fileOffset.toString(16)}: ${d.name} record of ${len} bytes is shorter than its format (${d.minLen})`,
        );
      }
      return d.kind === K.Other
        ? { kind: 'other', ts, cpu, tid: pid, comm, instance, source, name: d.name }
        : { kind: 'kvm_other', ts, cpu, tid: pid, comm, instance, source, name: d.name };
    }
    switch (d.kind) {
      case K.Other:
        return { kind: 'other', ts, cpu, tid: pid, comm, instance, source, name: d.name };
      case K.KvmOther:
        return { kind: 'kvm_other', ts, cpu, tid: pid, comm, instance, source, name: d.name };
      case K.Exit: {
        const code = d.a.s > 0 ? this.u(b, r + d.a.o, d.a.s) : 0;
        const isaField = d.c.s > 0 ? this.u(b, r + d.c.o, d.c.s) : 0;
        const c = this.reason(code, isaField);
        return {
          kind: 'exit',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          isa: c.isa,
          rawReason: c.reason,
          exitCode: d.a.s > 0 ? code : null,
          flags: c.flags,
          vcpu: this.num(b, r, d.h),
          rip: this.hex(b, r, d.b),
          info1: this.hex(b, r, d.d),
          info2: this.hex(b, r, d.e),
          intrInfo: this.hex(b, r, d.f),
          errorCode: this.hex(b, r, d.g),
        };
      }
      case K.Entry:
        return {
          kind: 'entry',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          vcpu: this.num(b, r, d.a),
          rip: this.hex(b, r, d.b),
          immediateExit: d.c.s > 0 && this.u(b, r + d.c.o, d.c.s) !== 0,
        };
      case K.Pio:
        return {
          kind: 'pio',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          write: this.num(b, r, d.a) !== 0,
          port: this.num(b, r, d.b),
          size: this.num(b, r, d.c),
          count: this.num(b, r, d.d),
          val: this.hex(b, r, d.e),
        };
      case K.Mmio: {
        const t = this.num(b, r, d.a);
        const op: MmioOp = t === 2 ? 'write' : t === 1 ? 'read' : 'unsatisfied-read';
        return {
          kind: 'mmio',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          op,
          len: this.num(b, r, d.b),
          gpa: this.num(b, r, d.c),
          val: this.hex(b, r, d.d),
        };
      }
      case K.FastMmio:
        return { kind: 'fast_mmio', ts, cpu, tid: pid, comm, instance, source, gpa: this.num(b, r, d.a) };
      case K.Hypercall:
      case K.HvHypercall:
      case K.XenHypercall:
        return {
          kind: 'hypercall',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          flavor: d.kind === K.Hypercall ? 'kvm' : d.kind === K.HvHypercall ? 'hyperv' : 'xen',
          nr: this.hex(b, r, d.a),
        };
      case K.UserspaceExit: {
        const reasonCode = this.num(b, r, d.a);
        const errno = d.b.s > 0 ? (d.b.signed ? this.i(b, r + d.b.o, d.b.s) : this.u(b, r + d.b.o, d.b.s) | 0) : 0;
        let reason: string;
        let code: number;
        if (errno < 0) {
          reason = errno === -4 ? 'restart' : 'error';
          code = -errno;
        } else {
          reason = kvmUserspaceExitName(reasonCode) ?? `0x${reasonCode.toString(16)}`;
          code = reasonCode;
        }
        return { kind: 'userspace_exit', ts, cpu, tid: pid, comm, instance, source, reason, code };
      }
      case K.Msr:
        return {
          kind: 'msr',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          write: this.num(b, r, d.a) > 0,
          index: this.num(b, r, d.b),
          val: this.hex(b, r, d.c),
          gp: d.d.s > 0 && this.num(b, r, d.d) !== 0,
        };
      case K.Cpuid:
        return {
          kind: 'cpuid',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          func: this.num(b, r, d.a),
          idx: d.b.s > 0 ? this.num(b, r, d.b) : -1,
        };
      case K.EmulateInsn: {
        let insn = '';
        if (d.a.s > 0) {
          const n = Math.min(d.a.s, d.b.s > 0 ? this.num(b, r, d.b) : d.a.s);
          const parts: string[] = [];
          for (let k = 0; k < n; k++) parts.push(b[r + d.a.o + k]!.toString(16).padStart(2, '0'));
          insn = parts.join(' ');
        }
        return {
          kind: 'emulate_insn',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          insn,
          failed: d.c.s > 0 && this.num(b, r, d.c) !== 0,
        };
      }
      case K.NestedVmexit:
      case K.NestedVmexitInject: {
        const code = d.a.s > 0 ? this.u(b, r + d.a.o, d.a.s) : 0;
        const isaField = d.c.s > 0 ? this.u(b, r + d.c.o, d.c.s) : 0;
        return {
          kind: 'nested_vmexit',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          inject: d.kind === K.NestedVmexitInject,
          rawReason: d.a.s > 0 ? this.reason(code, isaField).reason : '',
        };
      }
      case K.PageFault:
        return {
          kind: 'page_fault',
          ts,
          cpu,
          tid: pid,
          comm,
          instance,
          source,
          address: this.hex(b, r, d.a),
          errorCode: this.hex(b, r, d.b),
        };
      default:
        return { kind: 'other', ts, cpu, tid: pid, comm, instance, source, name: d.name };
    }
  }
}
