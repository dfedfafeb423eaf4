/**
 * The payload memo of the block lane (fast-lane.ts): a busy trace prints the same few thousand payloads millions of
 * times (`reason HLT rip 0xffffffffb33f2e5f info 0 0`, `vcpu 3 rip 0xffffffffa0360413`, `pio_write at 0x20 size 1
 * count 1 val 0xcd`), and decoding one costs far more than recognising it again. The WebAssembly scanner
 * (scan/block.ts) recognises a payload by its bytes (a direct-mapped table of 4096 slots, payloads of at most 96
 * bytes); the fast lane keeps, per slot, the event fast-payloads.ts decoded from those bytes when they took the slot,
 * and a hit copies that event's body with this line's header (`instantiate`). The copy is exactly the event the
 * decoder would build: the decoders are pure functions of the payload bytes and the header, and only events they
 * built are kept.
 */
import type { EventHeader, TraceEvent } from '../model/events.js';
import type { Decoder } from './fast-payloads.js';

/**
 * `ev` with the header `h`: one object literal per kind, with the decoder's keys in the decoder's order, so each
 * copy has the decoder's object shape (an object spread was ~3x slower in a profile).
 */
export function instantiate(d: Decoder, ev: TraceEvent, h: EventHeader): TraceEvent {
  const { ts, cpu, tid, comm, instance, source } = h;
  switch (ev.kind) {
    case 'exit':
      return {
        kind: 'exit',
        ts,
        cpu,
        tid,
        comm,
        instance,
        source,
        isa: ev.isa,
        rawReason: ev.rawReason,
        exitCode: ev.exitCode,
        flags: ev.flags,
        vcpu: ev.vcpu,
        rip: ev.rip,
        info1: ev.info1,
        info2: ev.info2,
        intrInfo: ev.intrInfo,
        errorCode: ev.errorCode,
      };
    case 'entry':
      return { kind: 'entry', ts, cpu, tid, comm, instance, source, vcpu: ev.vcpu, rip: ev.rip, immediateExit: ev.immediateExit };
    default:
      return copyOther(d, ev, h);
  }
}

/** The other decoded kinds, each spelled out like its decoder (same keys, same order). */
function copyOther(d: Decoder, ev: TraceEvent, h: EventHeader): TraceEvent {
  const { ts, cpu, tid, comm, instance, source } = h;
  switch (ev.kind) {
    case 'pio':
      return { kind: 'pio', ts, cpu, tid, comm, instance, source, write: ev.write, port: ev.port, size: ev.size, count: ev.count, val: ev.val };
    case 'mmio':
      return { kind: 'mmio', ts, cpu, tid, comm, instance, source, op: ev.op, len: ev.len, gpa: ev.gpa, val: ev.val };
    case 'fast_mmio':
      return { kind: 'fast_mmio', ts, cpu, tid, comm, instance, source, gpa: ev.gpa };
    case 'msr':
      return { kind: 'msr', ts, cpu, tid, comm, instance, source, write: ev.write, index: ev.index, val: ev.val, gp: ev.gp };
    case 'userspace_exit':
      return { kind: 'userspace_exit', ts, cpu, tid, comm, instance, source, reason: ev.reason, code: ev.code };
    case 'hypercall':
      return { kind: 'hypercall', ts, cpu, tid, comm, instance, source, flavor: ev.flavor, nr: ev.nr };
    case 'emulate_insn':
      return { kind: 'emulate_insn', ts, cpu, tid, comm, instance, source, insn: ev.insn, failed: ev.failed };
    default:
      throw new Error(`payload memo: decoder ${d} made a ${ev.kind} event`);
  }
}
