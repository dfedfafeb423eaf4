/**
 * Summaries: classified round trips (or accesses) are aggregated as they complete — per class, per exit reason,
 * per vCPU thread and per device — and never all kept in memory. `finalize` turns the accumulators into the
 * `StatsRow`s of the analysis schema.
 */
import type { DeviceRow, ExitReasonRow, LatencyStats, MechanismRow, StatsRow, VcpuRow } from '../model/analysis.js';
import { isMechanism, type ClassName } from '../model/classes.js';
import type { Isa } from '../model/events.js';
import type { ThreadInfo } from '../pair/round-trips.js';
import { canonicalizeReason } from '../parse/exit-reasons.js';
import { unknownWithoutUserspaceExits, type DeviceRef } from '../classify/classify.js';
import { mmioDeviceName, pioDeviceName } from '../classify/devices.js';
import { StatAccumulator, type StatState } from './accumulator.js';

/** Distinct devices kept as rows; beyond this, accesses are merged into one "other" row (memory stays bounded). */
export const MAX_DEVICES = 4096;
/** Distinct threads kept as rows (10^5 adversarial threads must not mean 10^5 histograms). */
export const MAX_THREADS = 1024;
/** Distinct printed exit reasons kept as rows (a real ISA has < 100; garbage input must not grow memory). */
export const MAX_REASONS = 1024;

export interface ClassifiedUnit {
  thread: ThreadInfo;
  cls: ClassName;
  evidence: string;
  device: DeviceRef | null;
  /** Exit reason as printed, with the ISA the event itself indicated and its numeric code; null in access mode. */
  rawReason: { isa: Isa; raw: string; code: number | null; arm64Type: string } | null;
  durNs: number | null;
  kernelNs: number | null;
  vmmNs: number | null;
}

class Row {
  count = 0;
  readonly lat: StatAccumulator;
  readonly kernel: StatAccumulator;
  readonly vmm: StatAccumulator;
  readonly classes = new Map<string, number>();
  readonly evidence = new Map<string, number>();
  readonly sizes = new Map<number, number>();
  /** `bins`: keep the latency histogram (mechanism and exit-reason rows; the schema has none for the others). */
  constructor(quantum: number, bins = false) {
    this.lat = new StatAccumulator(quantum, bins);
    this.kernel = new StatAccumulator(quantum);
    this.vmm = new StatAccumulator(quantum);
  }
  add(u: ClassifiedUnit, withEvidence: boolean): void {
    this.count++;
    if (u.durNs !== null) this.lat.add(u.durNs);
    if (u.kernelNs !== null) this.kernel.add(u.kernelNs);
    if (u.vmmNs !== null) this.vmm.add(u.vmmNs);
    inc(this.classes, u.cls);
    if (withEvidence) inc(this.evidence, u.evidence);
    if (u.device !== null) this.sizes.set(u.device.size, (this.sizes.get(u.device.size) ?? 0) + 1);
  }
  /** Fold in a cell's units (see `Cell`): the same as `add` of each of them, in any order. */
  absorb(c: Cell, withEvidence: boolean): void {
    const n = c.count;
    this.count += n;
    this.lat.merge(c.lat!);
    this.kernel.merge(c.kernel!);
    this.vmm.merge(c.vmm!);
    inc(this.classes, c.cls, n);
    if (withEvidence) inc(this.evidence, c.evidence, n);
    if (c.dev !== null) this.sizes.set(c.dev.size, (this.sizes.get(c.dev.size) ?? 0) + n);
  }
  merge(o: Row): void {
    this.count += o.count;
    this.lat.merge(o.lat);
    this.kernel.merge(o.kernel);
    this.vmm.merge(o.vmm);
    for (const [k, v] of o.classes) inc(this.classes, k, v);
    for (const [k, v] of o.evidence) inc(this.evidence, k, v);
    for (const [k, v] of o.sizes) this.sizes.set(k, (this.sizes.get(k) ?? 0) + v);
  }
}

interface RowState {
  count: number;
  lat: StatState;
  kernel: StatState;
  vmm: StatState;
  classes: [string, number][];
  evidence: [string, number][];
  sizes: [number, number][];
}

function rowState(r: Row): RowState {
  return {
    count: r.count,
    lat: r.lat.toState(),
    kernel: r.kernel.toState(),
    vmm: r.vmm.toState(),
    classes: [...r.classes],
    evidence: [...r.evidence],
    sizes: [...r.sizes],
  };
}

function rowFromState(st: RowState): Row {
  const r = new Row(st.lat.quantum, st.lat.bins !== null);
  r.count = st.count;
  r.lat.merge(StatAccumulator.fromState(st.lat));
  r.kernel.merge(StatAccumulator.fromState(st.kernel));
  r.vmm.merge(StatAccumulator.fromState(st.vmm));
  for (const [k, v] of st.classes) r.classes.set(k, v);
  for (const [k, v] of st.evidence) r.evidence.set(k, v);
  for (const [k, v] of st.sizes) r.sizes.set(k, v);
  return r;
}

type RawReasonKey = NonNullable<ClassifiedUnit['rawReason']>;

/**
 * Units that share everything a row keys on — thread, class, evidence, printed exit reason, device and access size —
 * go to one *cell*: its rows are found once, when the cell is made, and each unit costs one cell lookup and one
 * accumulator add per phase instead of four row lookups, four map increments and four accumulator adds (a profile
 * had the summarizer at ~490 ns per round trip, half of the whole pipeline after parsing). The cells are folded into
 * their rows (`Row.absorb`) before anything reads a row: the accumulators merge the same multiset of samples in a
 * different order, and every statistic they give depends only on that multiset (see accumulator.ts), so the rows are
 * exactly what adding each unit to them gives. The overflow rules (row limits) are decided when a cell is made, which
 * is when the first unit of each of its row keys arrives, so they decide as before.
 * Memory: at most MAX_CELLS cells keep accumulators; units of later cells go to their rows directly.
 */
class Cell {
  count = 0;
  /** Accumulators of the units not yet folded (null: a direct cell, past MAX_CELLS). */
  lat: StatAccumulator | null;
  kernel: StatAccumulator | null;
  vmm: StatAccumulator | null;
  constructor(
    readonly thread: ThreadInfo,
    readonly cls: ClassName,
    readonly evidence: string,
    readonly rr: RawReasonKey | null,
    /** The device as the cell's first unit named it (address, direction, space and size are the same for all). */
    readonly dev: DeviceRef | null,
    readonly classRow: Row,
    readonly reasonRow: Row | null,
    readonly threadRow: Row,
    readonly deviceRow: Row | null,
    /** Units counted into the limit diagnostics (their rows are the overflow rows). */
    readonly overReason: boolean,
    readonly overThread: boolean,
    readonly overDevice: boolean,
    quantum: number,
    direct: boolean,
  ) {
    this.lat = direct ? null : new StatAccumulator(quantum, true);
    this.kernel = direct ? null : new StatAccumulator(quantum);
    this.vmm = direct ? null : new StatAccumulator(quantum);
  }

  /** Does unit `u` belong here? */
  matches(u: ClassifiedUnit): boolean {
    if (this.thread !== u.thread || this.cls !== u.cls || this.evidence !== u.evidence || !sameReason(this.rr, u.rawReason)) return false;
    const a = this.dev;
    const b = u.device;
    if (a === null || b === null) return a === b;
    return a.space === b.space && a.address === b.address && a.write === b.write && a.size === b.size;
  }
}

/** The row of `key` among the rows of its printed reason (they differ by ISA, code and arm64 type). */
function reasonRowIn(list: { row: Row; key: RawReasonKey }[], key: RawReasonKey): { row: Row; key: RawReasonKey } | undefined {
  for (const x of list) if (x.key.isa === key.isa && x.key.code === key.code && x.key.arm64Type === key.arm64Type) return x;
  return undefined;
}

function sameReason(a: RawReasonKey | null, b: RawReasonKey | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return a.raw === b.raw && a.isa === b.isa && a.code === b.code && a.arm64Type === b.arm64Type;
}

/** Cells with accumulators (each up to three of them: a few KiB until 4096 samples, then a histogram). */
const MAX_CELLS = 256;
/**
 * Slots of the cell cache (direct-mapped; a miss looks the cell up by its full key). A trace has tens of cells; with
 * 1024 slots two of the generated 2M-line trace's 44 cells shared one, and the 13,725 misses that cost (a key string
 * each) were ~1 % of a worker's profile. 4096 slots (32 KiB): 44 misses, one per cell.
 */
const CELL_SLOT_BITS = 12;
const CELL_SLOTS = 1 << CELL_SLOT_BITS;
/** Cell keys kept at most; past it every cell is folded and forgotten (adversarial traces with endless devices). */
const MAX_CELL_KEYS = 1 << 16;

/** A cache slot for unit `u`: a cheap hash of what varies between the cells of a trace (a miss only costs time). */
function cellSlot(u: ClassifiedUnit): number {
  const r = u.rawReason;
  const d = u.device;
  let h = u.thread.tid ^ (u.evidence.length << 16) ^ (u.cls.length << 24);
  if (r !== null) h = Math.imul(h, 0x85ebca6b) ^ (r.raw.length + ((r.code ?? 0) << 8));
  if (d !== null) h = Math.imul(h, 0xc2b2ae35) ^ (d.address | 0) ^ (d.size << 24) ^ (d.write ? 1 << 30 : 0);
  // The top bits of a product depend on every bit of its operand.
  return Math.imul(h, 0x9e3779b1) >>> (32 - CELL_SLOT_BITS);
}

/** The full key of a cell (only on a cache miss). */
function cellKey(u: ClassifiedUnit): string {
  const r = u.rawReason;
  const d = u.device;
  return [
    u.thread.key,
    u.cls,
    u.evidence,
    r === null ? '' : `${r.isa}|${r.code ?? ''}|${r.arm64Type}|${r.raw}`,
    d === null ? '' : `${d.space}|${d.address}|${d.write ? 1 : 0}|${d.size}`,
  ].join('\u0000');
}

/** A summarizer as plain data (structured-clone safe): what a worker thread posts back. */
export interface SummarizerState {
  quantum: number | null;
  total: number;
  overflow: number;
  byClass: [string, RowState][];
  byReason: { row: RowState; key: NonNullable<ClassifiedUnit['rawReason']> }[];
  byThread: [string, RowState, ThreadInfo][];
  byDevice: [number, RowState, DeviceRef | null][];
}

function inc(m: Map<string, number>, k: string, n = 1): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

export interface SummaryRows {
  mechanisms: MechanismRow[];
  exitReasons: ExitReasonRow[];
  vcpus: VcpuRow[];
  devices: DeviceRow[];
  totalCount: number;
  totalTimeNs: number;
}

export class Summarizer {
  private quantum: number | null = null;
  private readonly byClass = new Map<string, Row>();
  /** Exit-reason rows keyed by the printed reason, then (isa, code, arm64 type): no string is built per unit. */
  private readonly byReason = new Map<string, { row: Row; key: NonNullable<ClassifiedUnit['rawReason']> }[]>();
  private readonly byThread = new Map<string, { row: Row; info: ThreadInfo }>();
  /** Device rows keyed by a number: ±(address·2 + write), negative for PIO (GPAs < 2^52 keep it exact). */
  private readonly byDevice = new Map<number, { row: Row; dev: DeviceRef | null }>();
  total = 0;
  deviceOverflow = 0;
  reasonOverflow = 0;
  threadOverflow = 0;

  /** `quantum`: called once, at the first unit, for the timestamp step in ns (1000 for µs text). */
  constructor(private readonly quantumOf: () => number) {}

  /** The sample quantum in ns, fixed at the first unit (null before it). */
  get sampleQuantum(): number | null {
    return this.quantum;
  }

  /** Fix the quantum before the first unit (worker threads take the main thread's). */
  setQuantum(q: number): void {
    this.quantum ??= Math.max(1, q);
  }

  toState(): SummarizerState {
    this.fold();
    return {
      quantum: this.quantum,
      total: this.total,
      overflow: this.deviceOverflow + this.reasonOverflow + this.threadOverflow,
      byClass: [...this.byClass].map(([k, r]) => [k, rowState(r)]),
      byReason: [...this.byReason.values()].flat().map(({ row, key }) => ({ row: rowState(row), key })),
      byThread: [...this.byThread].map(([k, { row, info }]) => [k, rowState(row), info]),
      byDevice: [...this.byDevice].map(([k, { row, dev }]) => [k, rowState(row), dev]),
    };
  }

  /**
   * Would merging `o` keep every row limit without merging rows into an overflow row? (Which keys overflow
   * depends on arrival order, so the parallel path only merges when none would; otherwise it re-reads the range.)
   */
  canMerge(o: SummarizerState): boolean {
    if (o.overflow > 0 || this.deviceOverflow + this.reasonOverflow + this.threadOverflow > 0) return false;
    const newKeys = <K>(m: Map<K, unknown>, keys: K[]): number => new Set(keys.filter((k) => !m.has(k))).size;
    return (
      this.byReason.size + newKeys(this.byReason, o.byReason.map((r) => r.key.raw)) <= MAX_REASONS &&
      this.byThread.size + newKeys(this.byThread, o.byThread.map((t) => t[0])) <= MAX_THREADS &&
      this.byDevice.size + newKeys(this.byDevice, o.byDevice.map((d) => d[0])) <= MAX_DEVICES
    );
  }

  /** Add a worker's rows (check `canMerge` first). `infoOf` gives the main thread's record of each vCPU thread. */
  merge(o: SummarizerState, infoOf: (key: string) => ThreadInfo | undefined): void {
    if (o.total === 0) return;
    if (o.quantum !== null) this.setQuantum(o.quantum);
    this.total += o.total;
    for (const [k, st] of o.byClass) {
      const r = rowFromState(st);
      const into = this.byClass.get(k);
      if (into === undefined) this.byClass.set(k, r);
      else into.merge(r);
    }
    for (const { row, key } of o.byReason) {
      let list = this.byReason.get(key.raw);
      if (list === undefined) {
        list = [];
        this.byReason.set(key.raw, list);
      }
      const r = rowFromState(row);
      const into = reasonRowIn(list, key);
      if (into === undefined) list.push({ row: r, key: { ...key } });
      else into.row.merge(r);
    }
    for (const [k, st, info] of o.byThread) {
      const r = rowFromState(st);
      const into = this.byThread.get(k);
      if (into === undefined) this.byThread.set(k, { row: r, info: infoOf(k) ?? info });
      else into.row.merge(r);
    }
    for (const [k, st, dev] of o.byDevice) {
      const r = rowFromState(st);
      const into = this.byDevice.get(k);
      if (into === undefined) this.byDevice.set(k, { row: r, dev });
      else into.row.merge(r);
    }
  }

  /** Per-class accumulators, for the cost-model comparison (exact samples, CDFs). */
  classAccumulators(relabelUnknown: boolean): Map<ClassName, StatAccumulator> {
    this.fold();
    const out = new Map<ClassName, StatAccumulator>();
    for (const [k, row] of this.byClass) {
      const cls = relabelUnknown ? unknownWithoutUserspaceExits(k as ClassName) : (k as ClassName);
      const acc = out.get(cls) ?? new StatAccumulator(row.lat.quantum, true);
      acc.merge(row.lat);
      out.set(cls, acc);
    }
    return out;
  }

  /** Latency of all classified round trips together (one accumulator, no per-class copies). */
  overallLatency(): StatAccumulator | null {
    this.fold();
    let all: StatAccumulator | null = null;
    for (const row of this.byClass.values()) {
      all ??= new StatAccumulator(row.lat.quantum);
      all.merge(row.lat);
    }
    return all;
  }

  /** Cells by full key (`cellKey`), and the direct-mapped cache in front of that map. */
  private readonly cells = new Map<string, Cell>();
  // Filled with undefined: the elements kind it keeps once cells are stored (see RoundTripPairer.tidSlots).
  private readonly cellSlots: (Cell | undefined)[] = new Array<Cell | undefined>(CELL_SLOTS).fill(undefined);
  /** The cells with accumulators (at most MAX_CELLS), to fold. */
  private readonly accCells: Cell[] = [];

  add(u: ClassifiedUnit): void {
    if (this.quantum === null) this.quantum = Math.max(1, this.quantumOf());
    this.total++;
    const slot = cellSlot(u);
    let c = this.cellSlots[slot];
    if (c === undefined || !c.matches(u)) {
      const key = cellKey(u);
      c = this.cells.get(key);
      if (c === undefined) {
        if (this.cells.size >= MAX_CELL_KEYS) this.forgetCells();
        c = this.makeCell(u);
        this.cells.set(key, c);
      }
      this.cellSlots[slot] = c;
    }
    if (c.overReason) this.reasonOverflow++;
    if (c.overThread) this.threadOverflow++;
    if (c.overDevice) this.deviceOverflow++;
    const lat = c.lat;
    if (lat === null) {
      c.classRow.add(u, true);
      c.reasonRow?.add(u, false);
      c.threadRow.add(u, false);
      c.deviceRow?.add(u, false);
      return;
    }
    c.count++;
    if (u.durNs !== null) lat.add(u.durNs);
    if (u.kernelNs !== null) c.kernel!.add(u.kernelNs);
    if (u.vmmNs !== null) c.vmm!.add(u.vmmNs);
  }

  /** The rows of a new cell, found (and made) exactly as the first unit with its keys would find them. */
  private makeCell(u: ClassifiedUnit): Cell {
    const q = this.quantum!;
    const classRow = this.rowOf(this.byClass, u.cls, q, true);
    let reasonRow: Row | null = null;
    let overReason = false;
    let rr = u.rawReason;
    if (rr !== null) {
      let list = this.byReason.get(rr.raw);
      if (list === undefined && this.byReason.size >= MAX_REASONS) {
        overReason = true;
        rr = { isa: rr.isa, raw: '(other reasons)', code: null, arm64Type: '' };
        list = this.byReason.get(rr.raw);
      }
      if (list === undefined) {
        list = [];
        this.byReason.set(rr.raw, list);
      }
      let r = reasonRowIn(list, rr);
      if (r === undefined) {
        r = { row: new Row(q, true), key: { ...rr } };
        list.push(r);
      }
      reasonRow = r.row;
    }
    let overThread = false;
    let t = this.byThread.get(u.thread.key);
    if (t === undefined) {
      if (this.byThread.size >= MAX_THREADS) {
        overThread = true;
        t = this.byThread.get('(other threads)');
        if (t === undefined) {
          t = { row: new Row(q), info: { key: '(other threads)', comm: '(other threads)', tid: -1, vcpu: -1, instance: '' } };
          this.byThread.set('(other threads)', t);
        }
      } else {
        t = { row: new Row(q), info: u.thread };
        this.byThread.set(u.thread.key, t);
      }
    }
    let deviceRow: Row | null = null;
    let overDevice = false;
    if (u.device !== null) {
      const d = u.device;
      const k2 = d.address * 2 + (d.write ? 1 : 0);
      let dk = d.space === 'pio' ? -k2 - 1 : k2;
      let dev: DeviceRef | null = d;
      if (!this.byDevice.has(dk) && this.byDevice.size >= MAX_DEVICES) {
        overDevice = true;
        dk = Number.MAX_SAFE_INTEGER;
        dev = null;
      }
      let e = this.byDevice.get(dk);
      if (e === undefined) {
        e = { row: new Row(q), dev };
        this.byDevice.set(dk, e);
      }
      deviceRow = e.row;
    }
    const direct = this.accCells.length >= MAX_CELLS;
    const c = new Cell(
      u.thread,
      u.cls,
      u.evidence,
      u.rawReason,
      u.device,
      classRow,
      reasonRow,
      t.row,
      deviceRow,
      overReason,
      overThread,
      overDevice,
      q,
      direct,
    );
    if (!direct) this.accCells.push(c);
    return c;
  }

  /** Fold every cell's units into its rows (before any row is read). */
  private fold(): void {
    for (const c of this.accCells) {
      if (c.count === 0) continue;
      c.classRow.absorb(c, true);
      c.reasonRow?.absorb(c, false);
      c.threadRow.absorb(c, false);
      c.deviceRow?.absorb(c, false);
      c.count = 0;
      const q = c.lat!.quantum;
      c.lat = new StatAccumulator(q, true);
      c.kernel = new StatAccumulator(q);
      c.vmm = new StatAccumulator(q);
    }
  }

  /** Fold and drop every cell (the key map is bounded; cells are made again as units arrive). */
  private forgetCells(): void {
    this.fold();
    this.cells.clear();
    this.cellSlots.fill(undefined);
    this.accCells.length = 0;
  }

  private rowOf(m: Map<string, Row>, k: string, q: number, bins: boolean): Row {
    let r = m.get(k);
    if (r === undefined) {
      r = new Row(q, bins);
      m.set(k, r);
    }
    return r;
  }

  /**
   * Build the rows. `relabelUnknown`: the trace held no kvm_userspace_exit, so provisional "-kernel" classes become
   * "-unknown". `isa`: the trace's ISA, for canonical exit-reason names.
   */
  finalize(relabelUnknown: boolean, isa: Isa): SummaryRows {
    this.fold();
    const relabel = (c: string): string => (relabelUnknown ? unknownWithoutUserspaceExits(c as ClassName) : c);
    const relabelMap = (m: Map<string, number>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [k, v] of [...m.entries()].sort(byCountThenKey)) out[relabel(k)] = (out[relabel(k)] ?? 0) + v;
      return out;
    };
    const total = this.total;
    let totalTime = 0;
    for (const r of this.byClass.values()) totalTime += r.lat.total;

    // Mechanisms (merge relabelled rows).
    const classRows = new Map<string, Row>();
    for (const [k, r] of this.byClass) {
      const c = relabel(k);
      const into = classRows.get(c);
      if (into === undefined) {
        const fresh = new Row(r.lat.quantum, true);
        fresh.merge(r);
        classRows.set(c, fresh);
      } else into.merge(r);
    }
    const mechanisms: MechanismRow[] = [...classRows.entries()].map(([c, r]) => {
      const evidence: Record<string, number> = {};
      for (const [k, v] of [...r.evidence.entries()].sort(byCountThenKey)) evidence[k] = v;
      return {
        mechanism: c as ClassName,
        communication: isMechanism(c),
        ...statsRow(r, total, totalTime),
        histogram: r.lat.histogram(),
        evidence,
      };
    });
    mechanisms.sort((a, b) => b.count - a.count || (a.mechanism < b.mechanism ? -1 : 1));

    // Exit reasons: canonicalize with the final ISA, merge rows that name the same reason.
    const reasonRows = new Map<string, { row: Row; isa: Isa; reason: string }>();
    for (const { row, key } of [...this.byReason.values()].flat()) {
      let risa: Isa;
      let reason: string;
      if (key.isa === 'arm64') {
        risa = 'arm64';
        reason = key.arm64Type === 'IRQ' ? 'IRQ' : key.raw;
      } else {
        const c = canonicalizeReason(key.raw, key.isa !== 'unknown' ? key.isa : isa, key.code);
        risa = c.isa;
        reason = c.reason === '' ? '(unparsed)' : c.reason;
      }
      const rk = `${risa}|${reason}`;
      const into = reasonRows.get(rk);
      if (into === undefined) {
        const fresh = new Row(row.lat.quantum, true);
        fresh.merge(row);
        reasonRows.set(rk, { row: fresh, isa: risa, reason });
      } else into.row.merge(row);
    }
    const exitReasons: ExitReasonRow[] = [...reasonRows.values()].map(({ row, isa: ri, reason }) => ({
      isa: ri,
      reason,
      ...statsRow(row, total, totalTime),
      histogram: row.lat.histogram(),
      classes: relabelMap(row.classes),
    }));
    exitReasons.sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : a.isa < b.isa ? -1 : 1));

    const vcpus: VcpuRow[] = [...this.byThread.values()].map(({ row, info }) => ({
      thread: threadLabel(info),
      comm: info.comm,
      tid: info.tid,
      vcpu: info.vcpu,
      instance: info.instance,
      ...statsRow(row, total, totalTime),
      classes: relabelMap(row.classes),
    }));
    vcpus.sort(
      (a, b) =>
        (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : a.vcpu - b.vcpu || a.tid - b.tid) ||
        (a.thread < b.thread ? -1 : a.thread > b.thread ? 1 : 0),
    );

    const devices: DeviceRow[] = [...this.byDevice.values()].map(({ row, dev }) => {
      const sizes: Record<string, number> = {};
      for (const [k, v] of [...row.sizes.entries()].sort((a, b) => a[0] - b[0])) sizes[String(k)] = v;
      return {
        space: dev?.space ?? 'mmio',
        address: dev?.address ?? -1,
        addressHex: dev === null ? '(other)' : `0x${dev.address.toString(16)}`,
        name: dev === null ? 'more devices than the row limit' : dev.space === 'pio' ? pioDeviceName(dev.address) : mmioDeviceName(dev.address),
        direction: dev?.write === false ? 'read' : 'write',
        ...statsRow(row, total, totalTime),
        sizes,
        classes: relabelMap(row.classes),
      } satisfies DeviceRow;
    });
    devices.sort((a, b) => b.count - a.count || a.address - b.address || (a.direction < b.direction ? -1 : 1));

    return { mechanisms, exitReasons, vcpus, devices, totalCount: total, totalTimeNs: totalTime };
  }
}

/** Count descending, then key: output order must not depend on the order round trips arrived in. */
function byCountThenKey(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

export function threadLabel(info: ThreadInfo): string {
  const who = info.tid >= 0 ? `${info.comm || '?'}-${info.tid}` : info.comm || info.key;
  return `${info.instance ? `${info.instance}:` : ''}${who}${info.vcpu >= 0 ? `/vcpu${info.vcpu}` : ''}`;
}

function statsRow(r: Row, total: number, totalTime: number): StatsRow {
  const s = r.lat.stats();
  const row: StatsRow = {
    count: r.count,
    share: total > 0 ? r.count / total : 0,
    timeShare: s !== null && totalTime > 0 ? s.totalNs / totalTime : null,
    totalNs: s?.totalNs ?? null,
    meanNs: s?.meanNs ?? null,
    stddevNs: s?.stddevNs ?? null,
    minNs: s?.minNs ?? null,
    p50Ns: s?.p50Ns ?? null,
    p90Ns: s?.p90Ns ?? null,
    p99Ns: s?.p99Ns ?? null,
    p999Ns: s?.p999Ns ?? null,
    maxNs: s?.maxNs ?? null,
  };
  const k: LatencyStats | null = r.kernel.stats();
  const v: LatencyStats | null = r.vmm.stats();
  if (k !== null || v !== null) row.phases = { kernel: k, vmm: v };
  return row;
}
