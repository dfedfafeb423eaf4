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
import type {
  EventHeader,
  KvmEmulateInsn,
  KvmEntry,
  KvmExit,
  KvmFastMmio,
  KvmHypercall,
  KvmMmio,
  KvmMsr,
  KvmPio,
  KvmUserspaceExit,
  TraceEvent,
} from '../model/events.js';
import { Decoder } from './fast-payloads.js';

/**
 * `ev` (made by decoder `d`) with the header `h`: one object literal per kind, with the decoder's keys in the
 * decoder's order, so each copy has the decoder's object shape (an object spread was ~3x slower in a profile). The
 * switch is on the decoder, which makes one kind each (fast-payloads.ts `kindOfDecoder`): reading `ev.kind` from
 * templates of every shape was a megamorphic load per event.
 */
export function instantiate(d: Decoder, ev: TraceEvent, h: EventHeader): TraceEvent {
  const { ts, cpu, tid, comm, instance, source } = h;
  switch (d) {
    case Decoder.Exit: {
      const x = ev as KvmExit;
      return {
        kind: 'exit',
        ts,
        cpu,
        tid,
        comm,
        instance,
        source,
        isa: x.isa,
        rawReason: x.rawReason,
        exitCode: x.exitCode,
        flags: x.flags,
        vcpu: x.vcpu,
        rip: x.rip,
        info1: x.info1,
        info2: x.info2,
        intrInfo: x.intrInfo,
        errorCode: x.errorCode,
      };
    }
    case Decoder.Entry: {
      const x = ev as KvmEntry;
      return { kind: 'entry', ts, cpu, tid, comm, instance, source, vcpu: x.vcpu, rip: x.rip, immediateExit: x.immediateExit };
    }
    default:
      return copyOther(d, ev, h);
  }
}

/** The other decoded kinds, each spelled out like its decoder (same keys, same order). */
function copyOther(d: Decoder, ev: TraceEvent, h: EventHeader): TraceEvent {
  const { ts, cpu, tid, comm, instance, source } = h;
  switch (d) {
    case Decoder.Pio: {
      const x = ev as KvmPio;
      return { kind: 'pio', ts, cpu, tid, comm, instance, source, write: x.write, port: x.port, size: x.size, count: x.count, val: x.val };
    }
    case Decoder.Mmio: {
      const x = ev as KvmMmio;
      return { kind: 'mmio', ts, cpu, tid, comm, instance, source, op: x.op, len: x.len, gpa: x.gpa, val: x.val };
    }
    case Decoder.FastMmio:
      return { kind: 'fast_mmio', ts, cpu, tid, comm, instance, source, gpa: (ev as KvmFastMmio).gpa };
    case Decoder.Msr: {
      const x = ev as KvmMsr;
      return { kind: 'msr', ts, cpu, tid, comm, instance, source, write: x.write, index: x.index, val: x.val, gp: x.gp };
    }
    case Decoder.UserspaceExit: {
      const x = ev as KvmUserspaceExit;
      return { kind: 'userspace_exit', ts, cpu, tid, comm, instance, source, reason: x.reason, code: x.code };
    }
    case Decoder.Hypercall:
    case Decoder.HvHypercall:
    case Decoder.XenHypercall: {
      const x = ev as KvmHypercall;
      return { kind: 'hypercall', ts, cpu, tid, comm, instance, source, flavor: x.flavor, nr: x.nr };
    }
    case Decoder.EmulateInsn: {
      const x = ev as KvmEmulateInsn;
      return { kind: 'emulate_insn', ts, cpu, tid, comm, instance, source, insn: x.insn, failed: x.failed };
    }
    default:
      throw new Error(`payload memo: no copy for decoder ${d}`);
  }
}
