/**
 * The payload memo of the block lane (fast-lane.ts): a busy trace prints the same few thousand payloads millions of
 * times (`reason HLT rip 0xffffffffb33f2e5f info 0 0`, `vcpu 3 rip 0xffffffffa0360413`, `pio_write at 0x20 size 1
 * count 1 val 0xcd`), and decoding one costs far more than recognising it again. A payload is hashed and compared
 * four bytes at a time (a DataView read), and a hit copies the body of the event fast-payloads.ts decoded from the
 * same bytes before, with this line's header: the event is exactly the one the decoder would build (the decoders are
 * pure functions of the payload bytes and the header, and only payloads they decoded are kept).
 *
 * Bounded: a direct-mapped table of SLOTS entries (a newer payload takes the slot of an older one), payloads of at
 * most MAX_BYTES bytes. On the 2-core VM a byte visit costs ~2 ns, so the cost is the visits: a payload of n bytes is
 * read as n/4 words once, against a kvm_exit decode that looks at each byte several times and builds its hex strings.
 */
import type { EventHeader, TraceEvent } from '../model/events.js';
import { Decoder } from './fast-payloads.js';

/** Longest payload kept (real kvm_exit payloads with a symbol are ~90 bytes; the hot ones ~45). */
export const MAX_BYTES = 96;
const MAX_WORDS = MAX_BYTES / 4;
/** Slots: 4096 (a real trace repeats a few thousand payloads; tests pass fewer bits to force collisions). */
const SLOT_BITS = 12;

export class PayloadMemo {
  /** Per slot: the decoder and the payload length (`len * 16 + decoder`), 0 when empty. */
  private readonly tags: Int32Array;
  /** Per slot: the payload's words (little-endian), the last one padded with zero bytes. */
  private readonly keys: Int32Array;
  private readonly vals: (TraceEvent | undefined)[];
  private readonly mask: number;

  constructor(private readonly bits = SLOT_BITS) {
    const slots = 1 << bits;
    this.mask = slots - 1;
    this.tags = new Int32Array(slots);
    this.keys = new Int32Array(slots * MAX_WORDS);
    this.vals = new Array<TraceEvent | undefined>(slots);
  }
  /** The words of the payload looked up last (`put` stores them). */
  private readonly scratch = new Int32Array(MAX_WORDS);
  private slot = 0;
  private tag = 0;
  private words = 0;

  /**
   * The event for payload [ps, pe) of `b` (viewed by `dv`) decoded by `d`, with header `h`; null on a miss (the
   * caller decodes it and calls `put`). `pe - ps` must be 1..MAX_BYTES.
   */
  get(d: Decoder, b: Uint8Array, dv: DataView, ps: number, pe: number, h: EventHeader): TraceEvent | null {
    const n = pe - ps;
    const full = n >> 2;
    const sc = this.scratch;
    let hash = Math.imul(n * 16 + d, 0x9e3779b1);
    let i = ps;
    for (let k = 0; k < full; k++, i += 4) {
      const w = dv.getInt32(i, true);
      sc[k] = w;
      hash = Math.imul(hash ^ w, 0x01000193) ^ (hash >>> 15);
    }
    let words = full;
    if (i < pe) {
      let w = b[i]!;
      if (i + 1 < pe) w |= b[i + 1]! << 8;
      if (i + 2 < pe) w |= b[i + 2]! << 16;
      sc[full] = w;
      hash = Math.imul(hash ^ w, 0x01000193) ^ (hash >>> 15);
      words++;
    }
    const slot = (hash ^ (hash >>> this.bits) ^ (hash >>> (2 * this.bits))) & this.mask;
    const tag = n * 16 + d;
    this.slot = slot;
    this.tag = tag;
    this.words = words;
    if (this.tags[slot] !== tag) return null;
    const keys = this.keys;
    const base = slot * MAX_WORDS;
    for (let k = 0; k < words; k++) if (keys[base + k] !== sc[k]) return null;
    return instantiate(d, this.vals[slot]!, h);
  }

  /** Keep `ev`, decoded from the payload of the last `get` (a miss). */
  put(ev: TraceEvent): void {
    const slot = this.slot;
    this.tags[slot] = this.tag;
    this.keys.set(this.scratch.subarray(0, this.words), slot * MAX_WORDS);
    this.vals[slot] = ev;
  }
}

/**
 * `ev` with the header `h`: one object literal per kind, with the decoder's keys in the decoder's order, so each
 * copy has the decoder's object shape (an object spread was ~3x slower in a profile).
 */
function instantiate(d: Decoder, ev: TraceEvent, h: EventHeader): TraceEvent {
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
