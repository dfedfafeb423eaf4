/**
 * Event format files (tracefs events/<system>/<event>/format, stored in trace.dat) and the header_page /
 * header_event descriptions: parsed from their text so that every field's offset, size and signedness come from
 * the file, never from a hard-coded layout.
 *
 * Format text (kernel kernel/trace/trace_events.c f_show / trace_output; the same text in the trace.dat event
 * format sections, trace-cmd.dat.v6(5) "EVENT FORMATS"):
 *   name: kvm_pio
 *   ID: 110
 *   format:
 *   	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 *   	...
 *   	field:__u8 insn[15];	offset:21;	size:15;	signed:0;
 *   	field:__data_loc char[] name;	offset:8;	size:4;	signed:0;
 *   print fmt: "..."
 * `signed:` is missing on very old kernels (then: unsigned). header_page uses the same field lines
 * (`field: u64 timestamp; offset:0; size:8; signed:0;`, then `commit` whose size is the kernel's long size, and
 * `data`); header_event is prose (type_len/time_delta bit widths and the special type_len values 29/30/31).
 * Checked against the formats on this project's Linux 6.18 host and libtraceevent's event-parse.c field reader.
 */

export interface FieldDef {
  /** Field name (array brackets removed). */
  name: string;
  /** Declared C type as written before the name (`unsigned int`, `__data_loc char[]`). */
  type: string;
  offset: number;
  size: number;
  signed: boolean;
  /** Element count for fixed arrays (`insn[15]` → 15), else null. */
  arrayLen: number | null;
  /** `__data_loc`/`__rel_loc`: the 4-byte field holds offset (low 16 bits) and length (high 16 bits). */
  dynamic: boolean;
}

export interface EventFormat {
  system: string;
  name: string;
  id: number;
  fields: FieldDef[];
  byName: Map<string, FieldDef>;
}

/** An event format file as stored: name and ID parsed, fields parsed on first use (see `parseEventFormat`). */
export interface EventFormatText {
  system: string;
  name: string;
  id: number;
  text: string;
}

const FIELD_RE = /^\s*field:\s*(.*?);\s*offset:\s*(\d+);\s*size:\s*(\d+);(?:\s*signed:\s*(-?\d+);)?/;
const NAME_RE = /^name:[ \t]*(\S+)[ \t]*$/m;
const ID_RE = /^ID:[ \t]*(\d+)[ \t]*$/m;

/** One `field:` line → FieldDef, or null when the line is not a field line. */
export function parseFieldLine(line: string): FieldDef | null {
  const m = FIELD_RE.exec(line);
  if (m === null) return null;
  const decl = (m[1] ?? '').trim();
  const offset = Number(m[2]);
  const size = Number(m[3]);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size)) return null;
  // The name is the last identifier; a fixed array has `[N]` after it, `__data_loc char[]` has `[]` before it.
  const dm = /([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([^\]]*)\s*\])?\s*$/.exec(decl);
  if (dm === null || dm[1] === undefined) return null;
  const name = dm[1];
  const type = decl.slice(0, dm.index).trim();
  const dynamic = /\b__(?:data|rel)_loc\b/.test(type);
  let arrayLen: number | null = null;
  if (dm[2] !== undefined && /^\d+$/.test(dm[2])) arrayLen = Number(dm[2]);
  return { name, type, offset, size, signed: m[4] === '1', arrayLen, dynamic };
}

/**
 * Name and ID of a format file. Returns null when the text has no `name:`/`ID:` (trace-cmd counts such files as
 * parsing failures and goes on; so does exitlens: records of that ID are then reported by number).
 */
export function parseEventHead(text: string, system: string): EventFormatText | null {
  const nm = NAME_RE.exec(text);
  const im = ID_RE.exec(text);
  if (nm === null || im === null || nm[1] === undefined || im[1] === undefined) return null;
  const id = Number(im[1]);
  if (!Number.isSafeInteger(id)) return null;
  return { system, name: nm[1], id, text };
}

/** Parse the fields of a format file (the `field:` lines between `format:` and `print fmt:`). */
export function parseEventFormat(f: EventFormatText): EventFormat {
  const { text } = f;
  const fields: FieldDef[] = [];
  const byName = new Map<string, FieldDef>();
  const start = text.indexOf('format:');
  const end = text.indexOf('print fmt:');
  const body = text.slice(start < 0 ? 0 : start, end < 0 ? text.length : end);
  for (const line of body.split('\n')) {
    const fd = parseFieldLine(line);
    if (fd === null) continue;
    fields.push(fd);
    if (!byName.has(fd.name)) byName.set(fd.name, fd);
  }
  return { system: f.system, name: f.name, id: f.id, fields, byName };
}

/** What the page header (header_page) says about the ring-buffer page layout. */
export interface PageHeaderLayout {
  timestampOffset: number;
  timestampSize: number;
  commitOffset: number;
  /** The kernel's `long` size (4 or 8). */
  commitSize: number;
  dataOffset: number;
}

/** Defaults used by trace-cmd when header_page is empty: u64 timestamp, long commit, data after it. */
export function defaultPageHeader(longSize: number): PageHeaderLayout {
  return { timestampOffset: 0, timestampSize: 8, commitOffset: 8, commitSize: longSize, dataOffset: 8 + longSize };
}

/** Parse header_page; null when a needed field is missing or inconsistent. */
export function parsePageHeader(text: string): PageHeaderLayout | null {
  const byName = new Map<string, FieldDef>();
  for (const line of text.split('\n')) {
    const f = parseFieldLine(line);
    if (f !== null && !byName.has(f.name)) byName.set(f.name, f);
  }
  const ts = byName.get('timestamp');
  const commit = byName.get('commit');
  const data = byName.get('data');
  if (ts === undefined || commit === undefined || data === undefined) return null;
  if (ts.size !== 8 || (commit.size !== 4 && commit.size !== 8)) return null;
  if (commit.offset + commit.size > data.offset || ts.offset + 8 > data.offset) return null;
  return {
    timestampOffset: ts.offset,
    timestampSize: ts.size,
    commitOffset: commit.offset,
    commitSize: commit.size,
    dataOffset: data.offset,
  };
}

/** Check header_event describes the ring-buffer encoding this reader implements (5-bit type_len, 27-bit delta). */
export function checkHeaderEvent(text: string): string | null {
  if (text.trim() === '') return null; // absent: trace-cmd assumes the standard layout too
  const tl = /type_len\s*:\s*(\d+)\s*bits/.exec(text);
  const td = /time_delta\s*:\s*(\d+)\s*bits/.exec(text);
  if (tl === null || td === null) return null; // old or unusual prose; the standard layout is assumed
  if (tl[1] !== '5' || td[1] !== '27') return `unsupported event header: type_len ${tl[1]} bits, time_delta ${td[1]} bits`;
  const pad = /padding\s*:\s*type\s*==\s*(\d+)/.exec(text);
  const ext = /time_extend\s*:\s*type\s*==\s*(\d+)/.exec(text);
  if ((pad !== null && pad[1] !== '29') || (ext !== null && ext[1] !== '30')) {
    return 'unsupported event header: padding/time_extend type values differ from 29/30';
  }
  return null;
}
