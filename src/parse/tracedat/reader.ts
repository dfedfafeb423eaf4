/**
 * trace.dat metadata: initial header, header_page/header_event, event formats, cmdlines, options and the
 * description of every buffer's per-CPU data, for file versions 6 and 7.
 *
 * Verified against trace-cmd.dat.v6(5) and trace-cmd.dat.v7(5) (the man pages of Debian's trace-cmd 3.1.6) and
 * trace-cmd v3.1.6 lib/trace-cmd/trace-input.c (read_headers_v6, read_section_header, handle_options,
 * handle_buffer_option, read_cpu_data, init_buffer_cpu_data, extract_trace_clock), plus the files on this host.
 *
 * v6 layout (sequential): magic 17 08 44 "tracing", "6\0", endian u8, long size u8, page size u32;
 *   "header_page\0" u64 size + text; "header_event\0" u64 size + text; ftrace formats: u32 count, per file
 *   u64 size + text; event formats: u32 systems, per system "name\0" u32 count, per file u64 size + text;
 *   kallsyms u32 size + text; printk formats u32 size + text; cmdlines u64 size + text; u32 cpus;
 *   "options  \0" then options (u16 id, u32 size, data; id 0 ends) ; "flyrecord\0" then per CPU u64 offset,
 *   u64 size (or "latency  \0" + text). A BUFFER option (u64 offset, "name\0") points at an instance's own
 *   "flyrecord\0" + per-CPU offset/size list.
 * v7 layout: same initial header + "compression\0version\0" + u64 offset of the first options section; then
 *   sections, each with a 16-byte header (u16 id, u16 flags (1 = compressed), u32 description string id,
 *   u64 size). Options sections (id 0) hold options whose DONE option (id 0, u64) links to the next options
 *   section; options 16-21 hold the offsets of the header-info (16), ftrace-formats (17), event-formats (18),
 *   kallsyms (19), printk (20) and cmdlines (21) sections (whose data are as in v6); BUFFER options (id 3) hold
 *   the offset of a flyrecord section, the instance name, its trace clock, page size and per-CPU
 *   (u32 cpu, u64 offset, u64 size) entries.
 * Options used: DATE (1, "0x…" µs, added as µs×1000 ns), BUFFER (3), TRACECLOCK (4, "[clock] …"), OFFSET (7, ns),
 * CPUCOUNT (8), TIME_SHIFT (12, guest host-sync; noted, not applied), TSC2NSEC (14: u32 mult, u32 shift,
 * u64 offset; ns = ts × mult >> shift, the offset is not added by trace-cmd 3.1.6's reader), BUFFER_TEXT (22).
 */
import { type Compression, compressionOf, decompressBlock } from './compress.js';
import type { Fail } from './errors.js';
import {
  checkHeaderEvent,
  defaultPageHeader,
  parseEventHead,
  parsePageHeader,
  type EventFormatText,
  type PageHeaderLayout,
} from './format.js';
import { BufferCursor, type Cursor, FileCursor, type FileSource } from './source.js';

export const MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67] as const;

/** Option and section ids (trace-cmd-private.h enum, v3.1.6). */
const OPT = {
  DONE: 0,
  DATE: 1,
  CPUSTAT: 2,
  BUFFER: 3,
  TRACECLOCK: 4,
  UNAME: 5,
  HOOK: 6,
  OFFSET: 7,
  CPUCOUNT: 8,
  VERSION: 9,
  PROCMAPS: 10,
  TRACEID: 11,
  TIME_SHIFT: 12,
  GUEST: 13,
  TSC2NSEC: 14,
  STRINGS: 15,
  HEADER_INFO: 16,
  FTRACE_EVENTS: 17,
  EVENT_FORMATS: 18,
  KALLSYMS: 19,
  PRINTK: 20,
  CMDLINES: 21,
  BUFFER_TEXT: 22,
} as const;

const SEC_FL_COMPRESS = 1;

export interface CpuData {
  cpu: number;
  /** File offset of the CPU's data (compressed chunks when the buffer is compressed). */
  offset: number;
  size: number;
}

export interface BufferDesc {
  /** Instance name; '' for the top buffer. */
  name: string;
  /** Trace clock of this buffer (v7 BUFFER option; v6: the file's TRACECLOCK). */
  clock: string;
  pageSize: number;
  cpus: CpuData[];
  compressed: boolean;
  /** Latency-format text instead of ring-buffer pages (not decoded). */
  latency: boolean;
  /** v7: file offset of the buffer's section header; v6: 0. */
  sectionOffset: number;
}

export interface Tsc2Nsec {
  mult: number;
  shift: number;
  offset: bigint;
}

export interface TraceDatMeta {
  version: number;
  littleEndian: boolean;
  pageSize: number;
  compression: Compression | null;
  page: PageHeaderLayout;
  formats: EventFormatText[];
  cmdlines: Map<number, string>;
  /** CPUs of the traced machine (CPUCOUNT option, else the v6 header count). */
  cpus: number;
  /** Trace clock of the top buffer. */
  clock: string;
  tsc2nsec: Tsc2Nsec | null;
  /** DATE + OFFSET options, ns, added to absolute timestamps as trace-cmd report does. */
  tsOffset: bigint;
  /** Buffers in trace-cmd's order: the top buffer first, then the instances in option order. */
  buffers: BufferDesc[];
  /** The file carries guest→host time-sync data (TIME_SHIFT), which exitlens does not apply. */
  timeShift: boolean;
}

/** Mutable state while the options are read. */
interface MetaBuild {
  version: number;
  le: boolean;
  longSize: number;
  pageSize: number;
  compression: Compression | null;
  page: PageHeaderLayout | null;
  formats: EventFormatText[];
  cmdlines: Map<number, string>;
  cpus: number;
  traceClock: string | null;
  tsc2nsec: Tsc2Nsec | null;
  tsOffset: bigint;
  topBuffer: BufferDesc | null;
  instances: BufferDesc[];
  /** v6: instance buffers found in options, resolved after the header. */
  v6Instances: { name: string; offset: number; at: number }[];
  sections: Map<number, number>;
  timeShift: boolean;
}

const MAX_NAME = 4096;

export function isTraceDatMagic(head: Uint8Array): boolean {
  if (head.length < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (head[i] !== MAGIC[i]) return false;
  return true;
}

/** `[mono] local global …` → `mono`; a bare name is taken as is. */
export function parseTraceClock(text: string): string | null {
  const m = /\[([^\]\s]+)\]/.exec(text);
  if (m !== null && m[1] !== undefined) return m[1];
  const t = text.replace(/\0+$/, '').trim();
  return t.length > 0 && !/\s/.test(t) ? t : null;
}

/** C strtoll(s, NULL, 0) for the DATE/OFFSET option text: optional sign, 0x hex, leading-0 octal, decimal. */
export function parseCInteger(text: string): bigint | null {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (m === null || m[2] === undefined) return null;
  const body = m[2];
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(body);
  else if (body.length > 1 && body.startsWith('0')) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  return m[1] === '-' ? -v : v;
}

async function expectString(c: Cursor, s: string, n: number): Promise<void> {
  const b = await c.bytes(n);
  const want = Buffer.alloc(n);
  want.write(s, 'latin1');
  if (!b.equals(want)) c.fail(`expected ${JSON.stringify(s)}, found ${JSON.stringify(b.toString('latin1'))}`);
}

async function readHeaderInfo(c: Cursor, mb: MetaBuild): Promise<void> {
  await expectString(c, 'header_page', 12);
  const psize = await c.u64n('header_page size');
  const ptext = (await c.bytes(psize)).toString('utf8');
  await expectString(c, 'header_event', 13);
  const esize = await c.u64n('header_event size');
  const etext = (await c.bytes(esize)).toString('utf8');
  const layout = ptext.trim() === '' ? defaultPageHeader(mb.longSize) : parsePageHeader(ptext);
  if (layout === null) c.fail('header_page text does not describe timestamp/commit/data fields');
  const bad = checkHeaderEvent(etext);
  if (bad !== null) c.fail(bad);
  mb.page = layout;
}

async function readFormatFile(c: Cursor, system: string, mb: MetaBuild): Promise<void> {
  const size = await c.u64n('event format size');
  const text = (await c.bytes(size)).toString('utf8');
  const f = parseEventHead(text, system);
  if (f !== null) mb.formats.push(f);
}

async function readFtraceFormats(c: Cursor, mb: MetaBuild): Promise<void> {
  const count = await c.u32();
  for (let i = 0; i < count; i++) await readFormatFile(c, 'ftrace', mb);
}

async function readEventFormats(c: Cursor, mb: MetaBuild): Promise<void> {
  const systems = await c.u32();
  for (let s = 0; s < systems; s++) {
    const system = await c.cstring(MAX_NAME);
    const count = await c.u32();
    for (let i = 0; i < count; i++) await readFormatFile(c, system, mb);
  }
}

async function skipSized4(c: Cursor): Promise<void> {
  const size = await c.u32();
  await c.skip(size);
}

/** saved_cmdlines text: one "pid comm" per line; comm may contain spaces (`CPU 0/KVM`). */
export function parseCmdlines(text: string, into: Map<number, string>): void {
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+) (.*)$/.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) continue;
    into.set(Number(m[1]), m[2]);
  }
}

async function readCmdlines(c: Cursor, mb: MetaBuild): Promise<void> {
  const size = await c.u64n('cmdlines size');
  parseCmdlines((await c.bytes(size)).toString('utf8'), mb.cmdlines);
}

function cstr(buf: Buffer): string {
  const i = buf.indexOf(0);
  return buf.toString('utf8', 0, i < 0 ? buf.length : i);
}

/** One option's data. `at` = file offset of the option data (for errors when not compressed). */
function handleOption(id: number, c: BufferCursor, mb: MetaBuild, v7: boolean): void {
  switch (id) {
    case OPT.DATE: {
      const v = parseCInteger(cstr(c.buf));
      if (v !== null) mb.tsOffset += v * 1000n;
      break;
    }
    case OPT.OFFSET: {
      const v = parseCInteger(cstr(c.buf));
      if (v !== null) mb.tsOffset += v;
      break;
    }
    case OPT.TRACECLOCK: {
      const clock = parseTraceClock(cstr(c.buf));
      if (clock !== null) mb.traceClock = clock;
      break;
    }
    case OPT.CPUCOUNT:
      if (c.buf.length >= 4) mb.cpus = c.u32();
      break;
    case OPT.TSC2NSEC:
      if (c.buf.length >= 16) {
        const mult = c.u32();
        const shift = c.u32();
        const offset = c.u64();
        if (shift > 63) c.fail(`TSC2NSEC shift ${shift} is not plausible`);
        if (mult !== 0) mb.tsc2nsec = { mult, shift, offset };
      }
      break;
    case OPT.TIME_SHIFT:
      if (c.buf.length >= 16) mb.timeShift = true;
      break;
    case OPT.BUFFER:
    case OPT.BUFFER_TEXT: {
      const offset = c.u64n('buffer offset');
      const name = c.cstring(MAX_NAME);
      if (!v7) {
        mb.v6Instances.push({ name, offset, at: c.where() });
        break;
      }
      const clock = c.cstring(MAX_NAME);
      const desc: BufferDesc = {
        name,
        clock,
        pageSize: mb.pageSize,
        cpus: [],
        compressed: false,
        latency: true,
        sectionOffset: offset,
      };
      if (id === OPT.BUFFER) {
        desc.latency = false;
        desc.pageSize = c.u32();
        if (desc.pageSize < 64 || desc.pageSize > 1 << 26 || (desc.pageSize & (desc.pageSize - 1)) !== 0) {
          c.fail(`buffer "${name}" page size ${desc.pageSize} is not a power of two in 64..64M`);
        }
        const n = c.u32();
        if (n > 65536) c.fail(`buffer "${name}" lists ${n} CPUs`);
        const seen = new Set<number>();
        for (let i = 0; i < n; i++) {
          const cpu = c.u32();
          const off = c.u64n('CPU data offset');
          const size = c.u64n('CPU data size');
          if (seen.has(cpu)) c.fail(`buffer "${name}" lists CPU ${cpu} twice`);
          seen.add(cpu);
          desc.cpus.push({ cpu, offset: off, size });
        }
        desc.cpus.sort((a, b) => a.cpu - b.cpu);
      }
      if (name === '') mb.topBuffer = desc;
      else mb.instances.push(desc);
      break;
    }
    case OPT.HEADER_INFO:
    case OPT.FTRACE_EVENTS:
    case OPT.EVENT_FORMATS:
    case OPT.KALLSYMS:
    case OPT.PRINTK:
    case OPT.CMDLINES:
      if (c.buf.length >= 8) mb.sections.set(id, c.u64n('section offset'));
      break;
    default:
      break; // CPUSTAT, UNAME, HOOK, VERSION, PROCMAPS, TRACEID, GUEST, STRINGS and unknown: not needed
  }
}

/** Read `size` option entries (v6 style: a zero id ends the list). */
async function readOptionsV6(c: Cursor, mb: MetaBuild, src: FileSource): Promise<void> {
  for (let guard = 0; ; guard++) {
    if (guard > 1_000_000) c.fail('too many options');
    const id = await c.u16();
    if (id === OPT.DONE) return;
    const size = await c.u32();
    const at = c.where();
    const data = await c.bytes(size);
    handleOption(id, new BufferCursor(Buffer.from(data), `option ${id}`, mb.le, src.fail, at, false), mb, false);
  }
}

interface SectionData {
  cursor: BufferCursor;
  flags: number;
}

/** Read a v7 section (header + data, decompressed when flagged) into memory. */
async function readSection(src: FileSource, mb: MetaBuild, offset: number, id: number, name: string): Promise<SectionData> {
  const hdr = await src.read(offset, 16, `${name} section header`);
  const le = mb.le;
  const sid = le ? hdr.readUInt16LE(0) : hdr.readUInt16BE(0);
  const flags = le ? hdr.readUInt16LE(2) : hdr.readUInt16BE(2);
  const size64 = le ? hdr.readBigUInt64LE(8) : hdr.readBigUInt64BE(8);
  if (sid !== id) src.fail(`${name} section header`, offset, `section id is ${sid}, expected ${id}`);
  const dataOff = offset + 16;
  if (size64 > BigInt(src.size - dataOff)) {
    src.fail(`${name} section`, dataOff, `section size ${size64} runs past the end of the file (${src.size} bytes; truncated?)`);
  }
  const size = Number(size64);
  if (flags & SEC_FL_COMPRESS) {
    if (mb.compression === null) src.fail(`${name} section`, offset, 'section is marked compressed but the file names no compression');
    if (size < 8) src.fail(`${name} section`, dataOff, `compressed section of ${size} bytes has no room for its block header`);
    const bh = await src.read(dataOff, 8, `${name} section`);
    const csize = le ? bh.readUInt32LE(0) : bh.readUInt32BE(0);
    const usize = le ? bh.readUInt32LE(4) : bh.readUInt32BE(4);
    if (csize > size - 8) src.fail(`${name} section`, dataOff, `compressed size ${csize} is larger than the section (${size - 8})`);
    const z = await src.read(dataOff + 8, csize, `${name} section`);
    const data = decompressBlock(mb.compression, z, usize, src.fail, `${name} section`, dataOff);
    return { cursor: new BufferCursor(data, `${name} section`, le, src.fail, dataOff, true), flags };
  }
  const data = await src.read(dataOff, size, `${name} section`);
  return { cursor: new BufferCursor(data, `${name} section`, le, src.fail, dataOff, false), flags };
}

/**
 * Walk the v7 sections from the end of the initial header to the end of the file, as trace-cmd does to find the
 * strings sections: each 16-byte header and its data must lie inside the file, so a file cut anywhere (even in a
 * section exitlens does not otherwise read) is reported.
 */
async function walkSectionsV7(src: FileSource, mb: MetaBuild, start: number): Promise<void> {
  let pos = start;
  for (let n = 0; pos < src.size; n++) {
    if (n > 1_000_000) src.fail('sections', pos, 'too many sections');
    if (src.size - pos < 16) {
      src.fail('section header', pos, `${src.size - pos} bytes left, a section header needs 16 (file truncated?)`);
    }
    const hdr = await src.read(pos, 16, 'section header');
    const size = mb.le ? hdr.readBigUInt64LE(8) : hdr.readBigUInt64BE(8);
    const id = mb.le ? hdr.readUInt16LE(0) : hdr.readUInt16BE(0);
    if (size > BigInt(src.size - pos - 16)) {
      src.fail(`section (id ${id})`, pos, `section of ${size} bytes runs past the end of the file (${src.size - pos - 16} left; truncated?)`);
    }
    pos += 16 + Number(size);
  }
}

async function readOptionsV7(src: FileSource, mb: MetaBuild, first: number): Promise<void> {
  const seen = new Set<number>();
  let next = first;
  while (next !== 0) {
    if (seen.has(next) || seen.size > 10_000) src.fail('options section', next, 'options sections link in a loop');
    seen.add(next);
    const { cursor: c } = await readSection(src, mb, next, OPT.DONE, 'options');
    next = 0;
    for (;;) {
      if (c.remaining() === 0) break; // no DONE option: treat as the last options section
      const id = c.u16();
      const size = c.u32();
      const at = c.where();
      const data = c.bytes(size);
      if (id === OPT.DONE) {
        if (size >= 8) next = new BufferCursor(data, 'options DONE', mb.le, src.fail, at, false).u64n('next options offset');
        break;
      }
      handleOption(id, new BufferCursor(data, `option ${id}`, mb.le, src.fail, at, false), mb, true);
    }
  }
}

/** v6 flyrecord list: per CPU u64 offset, u64 size. */
async function readFlyrecordList(c: Cursor, count: number, name: string, clock: string, mb: MetaBuild): Promise<BufferDesc> {
  const cpus: CpuData[] = [];
  for (let cpu = 0; cpu < count; cpu++) {
    const offset = await c.u64n('CPU data offset');
    const size = await c.u64n('CPU data size');
    cpus.push({ cpu, offset, size });
  }
  return { name, clock, pageSize: mb.pageSize, cpus, compressed: false, latency: false, sectionOffset: 0 };
}

/** Read all metadata. Throws TraceDatError for anything malformed. */
export async function readMeta(src: FileSource): Promise<TraceDatMeta> {
  const fail: Fail = src.fail;
  const head = await src.read(0, Math.min(src.size, 12), 'initial header');
  if (!isTraceDatMagic(head)) fail('initial header', 0, 'not a trace.dat file (magic 17 08 44 "tracing" missing)');
  let c = new FileCursor(src, 10, src.size, 'initial header', true);
  const vtext = await c.cstring(15);
  if (!/^\d+$/.test(vtext)) fail('initial header', 10, `file version "${vtext}" is not a number`);
  const version = Number(vtext);
  if (version !== 6 && version !== 7) {
    fail('initial header', 10, `file version ${version} is not supported (exitlens reads versions 6 and 7)`);
  }
  const endianAt = c.where();
  const endian = await c.u8();
  if (endian > 1) fail('initial header', endianAt, `endianness flag ${endian} is neither 0 nor 1`);
  const le = endian === 0;
  const longAt = c.where();
  const longSize = await c.u8();
  if (longSize !== 4 && longSize !== 8) fail('initial header', longAt, `long size ${longSize} is neither 4 nor 8`);
  const pageAt = c.where();
  c = new FileCursor(src, pageAt, src.size, 'initial header', le);
  const pageSize = await c.u32();
  if (pageSize < 64 || pageSize > 1 << 26 || (pageSize & (pageSize - 1)) !== 0) {
    fail('initial header', pageAt, `page size ${pageSize} is not a power of two in 64..64M`);
  }
  const mb: MetaBuild = {
    version,
    le,
    longSize,
    pageSize,
    compression: null,
    page: null,
    formats: [],
    cmdlines: new Map(),
    cpus: 0,
    traceClock: null,
    tsc2nsec: null,
    tsOffset: 0n,
    topBuffer: null,
    instances: [],
    v6Instances: [],
    sections: new Map(),
    timeShift: false,
  };

  if (version >= 7) {
    const compAt = c.where();
    const compName = await c.cstring(MAX_NAME);
    await c.cstring(MAX_NAME); // compression library version
    mb.compression = compressionOf(compName, fail, compAt);
    const optAt = c.where();
    const optOffset = await c.u64n('options offset');
    if (optOffset === 0) fail('initial header', optAt, 'the file has no options section');
    await walkSectionsV7(src, mb, c.where());
    await readOptionsV7(src, mb, optOffset);
    const need = async (id: number, name: string, fn: (cur: Cursor) => Promise<void>): Promise<void> => {
      const off = mb.sections.get(id);
      if (off === undefined) return;
      const { cursor } = await readSection(src, mb, off, id, name);
      await fn(cursor);
    };
    await need(OPT.HEADER_INFO, 'header info', (cur) => readHeaderInfo(cur, mb));
    await need(OPT.FTRACE_EVENTS, 'ftrace event formats', (cur) => readFtraceFormats(cur, mb));
    await need(OPT.EVENT_FORMATS, 'event formats', (cur) => readEventFormats(cur, mb));
    await need(OPT.CMDLINES, 'cmdlines', (cur) => readCmdlines(cur, mb));
    // kallsyms and printk formats are not needed to decode KVM records and are not read.
    const buffers: BufferDesc[] = [];
    if (mb.topBuffer !== null) buffers.push(mb.topBuffer);
    buffers.push(...mb.instances);
    for (const b of buffers) {
      const secOff = b.sectionOffset;
      const hdr = await src.read(secOff, 16, `buffer "${b.name}" section header`);
      const sid = le ? hdr.readUInt16LE(0) : hdr.readUInt16BE(0);
      const flags = le ? hdr.readUInt16LE(2) : hdr.readUInt16BE(2);
      const wantId = b.latency ? OPT.BUFFER_TEXT : OPT.BUFFER;
      if (sid !== wantId) src.fail(`buffer "${b.name}" section header`, secOff, `section id is ${sid}, expected ${wantId}`);
      b.compressed = (flags & SEC_FL_COMPRESS) !== 0;
      if (b.compressed && mb.compression === null) {
        src.fail(`buffer "${b.name}" section header`, secOff, 'data marked compressed but the file names no compression');
      }
    }
    return finish(mb, buffers);
  }

  // ---- v6: sequential parts
  c = new FileCursor(src, c.where(), src.size, 'header info', le);
  await readHeaderInfo(c, mb);
  c = new FileCursor(src, c.where(), src.size, 'ftrace event formats', le);
  await readFtraceFormats(c, mb);
  c = new FileCursor(src, c.where(), src.size, 'event formats', le);
  await readEventFormats(c, mb);
  c = new FileCursor(src, c.where(), src.size, 'kallsyms', le);
  await skipSized4(c);
  c = new FileCursor(src, c.where(), src.size, 'printk formats', le);
  await skipSized4(c);
  c = new FileCursor(src, c.where(), src.size, 'cmdlines', le);
  await readCmdlines(c, mb);
  c = new FileCursor(src, c.where(), src.size, 'CPU count', le);
  mb.cpus = await c.u32();
  if (mb.cpus > 65536) c.fail(`CPU count ${mb.cpus} is not plausible`);
  const headerCpus = mb.cpus;
  c = new FileCursor(src, c.where(), src.size, 'options', le);
  let kind = (await c.bytes(10)).toString('latin1');
  if (kind.startsWith('options')) {
    await readOptionsV6(c, mb, src);
    c = new FileCursor(src, c.where(), src.size, 'flyrecord header', le);
    kind = (await c.bytes(10)).toString('latin1');
  }
  const clock = mb.traceClock ?? 'local';
  const buffers: BufferDesc[] = [];
  if (kind.startsWith('latency')) {
    buffers.push({ name: '', clock, pageSize, cpus: [], compressed: false, latency: true, sectionOffset: 0 });
  } else if (kind.startsWith('flyrecord')) {
    c = new FileCursor(src, c.where(), src.size, 'flyrecord CPU list', le);
    buffers.push(await readFlyrecordList(c, Math.max(mb.cpus, headerCpus), '', clock, mb));
  } else {
    c.fail(`expected "options", "latency" or "flyrecord", found ${JSON.stringify(kind)}`);
  }
  for (const inst of mb.v6Instances) {
    let ic = new FileCursor(src, inst.offset, src.size, `buffer "${inst.name}" header`, le);
    let k = (await ic.bytes(10)).toString('latin1');
    if (k.startsWith('options')) {
      await readOptionsV6(ic, mb, src);
      ic = new FileCursor(src, ic.where(), src.size, `buffer "${inst.name}" header`, le);
      k = (await ic.bytes(10)).toString('latin1');
    }
    if (k.startsWith('latency')) {
      buffers.push({ name: inst.name, clock, pageSize, cpus: [], compressed: false, latency: true, sectionOffset: 0 });
    } else if (k.startsWith('flyrecord')) {
      ic = new FileCursor(src, ic.where(), src.size, `buffer "${inst.name}" CPU list`, le);
      buffers.push(await readFlyrecordList(ic, Math.max(mb.cpus, headerCpus), inst.name, clock, mb));
    } else {
      ic.fail(`expected "flyrecord" or "latency", found ${JSON.stringify(k)}`);
    }
  }
  return finish(mb, buffers);
}

function finish(mb: MetaBuild, buffers: BufferDesc[]): TraceDatMeta {
  const top = buffers.find((b) => b.name === '') ?? buffers[0];
  const clock = (mb.version >= 7 ? top?.clock : undefined) ?? mb.traceClock ?? 'local';
  for (const b of buffers) if (b.clock === '') b.clock = clock;
  const cpus = mb.cpus > 0 ? mb.cpus : Math.max(0, ...buffers.flatMap((b) => b.cpus.map((x) => x.cpu + 1)));
  return {
    version: mb.version,
    littleEndian: mb.le,
    pageSize: mb.pageSize,
    compression: mb.compression,
    page: mb.page ?? defaultPageHeader(mb.longSize),
    formats: mb.formats,
    cmdlines: mb.cmdlines,
    cpus,
    clock,
    tsc2nsec: mb.tsc2nsec,
    tsOffset: mb.tsOffset,
    buffers,
    timeShift: mb.timeShift,
  };
}
