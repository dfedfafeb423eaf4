/**
 * Mutations of the real fixtures and the properties every analysis must keep — shared by the property tests
 * (test/property/*.test.ts, a few hundred cases per `npm test`) and the long fuzz campaign (scripts/fuzz.mjs,
 * FUZZING.md). Plain ESM JavaScript so both vitest and `node` load it without a build step.
 *
 * Two families:
 * - damage (text → text) that a mail system, a bug tracker or a person applies to a pasted trace, each undoable
 *   in principle: quoting (`> `, `>>`, `> > `; RFC 3676 §4.5), hard wrapping at a width (mail clients wrap at
 *   72-78 columns, continuation lines optionally indented), format=flowed (RFC 3676 §4.2/4.4: soft breaks keep a
 *   trailing space, lines starting with space/`>`/`From ` are space-stuffed), quoted-printable (RFC 2045 §6.7:
 *   `=` → `=3D`, trailing blanks encoded, lines over 76 characters cut with `=` soft breaks), prose lines between
 *   records, a terminal's cut at an exact width (inside words), blanks turned into tabs. The property: repairing the damaged copy finds the records of the clean original.
 * - corruption (bytes → bytes): truncation, byte flips, inserted bytes (NUL, CR, 0xFF, newlines), line duplication
 *   and deletion, reordering of two records of the same CPU, CRLF, gzip (cut or with flipped bytes). The property:
 *   no uncaught exception (only the documented `ExitlensError`s, exit code 2 in the CLI), every line accounted for,
 *   every exit in exactly one category.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Fixtures whose records are whole lines (the clean originals damage is applied to). */
const CLEAN = new Set(['003', '004', '011', '013', '016', '020', '028']);

/**
 * The real excerpts (fixtures/public) plus two windows of the lab capture (small cases keep a campaign of 10^6
 * cases within hours on two cores: 60 lines ≈ 6 KB, the size of the largest public excerpt).
 */
export function loadSources() {
  const dir = join(ROOT, 'fixtures', 'public');
  const out = [];
  for (const f of readdirSync(dir).sort()) {
    out.push({ name: f, text: readFileSync(join(dir, f), 'utf8'), clean: CLEAN.has(f.slice(0, 3)) });
  }
  const lab = gunzipSync(readFileSync(join(ROOT, 'fixtures', 'lab', 'tracefs-user-kvm-pvm.txt.gz'))).toString('utf8').split('\n');
  out.push({ name: 'lab[0:60]', text: lab.slice(0, 60).join('\n') + '\n', clean: true });
  out.push({ name: 'lab[9000:9060]', text: lab.slice(9000, 9060).join('\n') + '\n', clean: true });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Damage (text → text)

const splitLines = (t) => {
  const lines = t.split('\n');
  const terminated = t.endsWith('\n');
  if (terminated) lines.pop();
  return { lines, terminated };
};
const joinLines = ({ lines, terminated }) => lines.join('\n') + (terminated && lines.length > 0 ? '\n' : '');

/** Mail quoting: every line gets the prefix (`> `×depth, `>`×depth + space, or `> > `); blank lines get it bare. */
export function quote(text, depth, style) {
  const p = style === 0 ? '> '.repeat(depth) : style === 1 ? '>'.repeat(depth) + ' ' : '>'.repeat(depth);
  const s = splitLines(text);
  s.lines = s.lines.map((l) => (l.trim() === '' ? p.trimEnd() : p + l));
  return joinLines(s);
}

/** Break `line` at the last blank at or before `width` that follows some text; null when it cannot be broken. */
function breakAt(line, width) {
  if (line.length <= width) return null;
  const lead = line.length - line.trimStart().length;
  for (let i = Math.min(width, line.length - 1); i > lead; i--) if (line[i] === ' ' && line[i - 1] !== ' ') return i;
  return null;
}

/** Leading quote marks of a line (`>> `, `> > `), kept on continuation lines by quote-aware clients. */
const quoteOf = (l) => /^(?:> ?)+/.exec(l)?.[0] ?? '';

/**
 * A mail client's hard wrap at `width`; continuation lines are indented by `indent` blanks, and re-quoted when
 * `requote` (Thunderbird does, some clients do not).
 */
export function hardWrap(text, width, indent, requote = false) {
  const s = splitLines(text);
  const out = [];
  for (let l of s.lines) {
    const q = requote ? quoteOf(l) : '';
    for (let k = 0; k < 64; k++) {
      const i = breakAt(l, width);
      if (i === null || i <= q.length) break;
      out.push(l.slice(0, i).trimEnd());
      l = q + ' '.repeat(indent) + l.slice(i).trimStart();
      if (l.trim() === '') break;
    }
    out.push(l);
  }
  s.lines = out;
  return joinLines(s);
}

/** A terminal or viewer that cuts lines at exactly `width` columns, inside words (copied from `less`, a pager). */
export function termCut(text, width) {
  const s = splitLines(text);
  s.lines = s.lines.flatMap((l) => (l.length <= width ? [l] : l.match(new RegExp(`.{1,${width}}`, 'g'))));
  return joinLines(s);
}

/** Runs of blanks turned into tabs (an editor's "tabify", or a terminal copy). */
export function tabify(text, all) {
  return text.replace(all ? / +/g : / {2,}/g, '\t');
}

/** format=flowed (RFC 3676): soft breaks keep the blank at the end of the line; space-stuffing. */
export function flowed(text, width, keepTrailing) {
  const s = splitLines(text);
  const stuff = (l) => (l.startsWith(' ') || l.startsWith('>') || l.startsWith('From ') ? ' ' + l : l);
  const out = [];
  for (const raw of s.lines) {
    // A fixed line must not end in a blank (it would read as flowed); clients trim it — or do not (keepTrailing).
    const line = keepTrailing ? raw : raw.replace(/[ \t]+$/, '');
    // Quote marks stay in front of every line of a quoted flowed paragraph (RFC 3676 §4.5), stuffing after them.
    const q = quoteOf(line).trimEnd();
    let l = line.slice(q.length);
    for (let k = 0; k < 64; k++) {
      const i = breakAt(l, width - q.length);
      if (i === null) break;
      out.push(q + stuff(l.slice(0, i + 1)));
      l = l.slice(i + 1);
    }
    out.push(q + stuff(l));
  }
  s.lines = out;
  return joinLines(s);
}

/** Quoted-printable encoding with soft breaks at 76 characters (RFC 2045 §6.7 rules 1-5). */
export function qpEncode(text) {
  const s = splitLines(text);
  const out = [];
  for (const l of s.lines) {
    let enc = '';
    const bytes = Buffer.from(l, 'utf8');
    const lastNonBlank = (() => {
      let i = bytes.length - 1;
      while (i >= 0 && (bytes[i] === 32 || bytes[i] === 9)) i--;
      return i;
    })();
    const tokens = [];
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && i <= lastNonBlank);
      tokens.push(literal ? String.fromCharCode(b) : '=' + b.toString(16).toUpperCase().padStart(2, '0'));
    }
    let cur = '';
    for (const t of tokens) {
      if (cur.length + t.length > 75) {
        out.push(cur + '=');
        cur = '';
      }
      cur += t;
    }
    enc = cur;
    out.push(enc);
  }
  s.lines = out;
  return joinLines(s);
}

/** Lines people put between records. */
export const PROSE = [
  'Any idea what is going on here?',
  '$ sudo trace-cmd report > trace.txt',
  'root@host:~# cat /sys/kernel/tracing/trace_pipe',
  '...',
  '[...]',
  'Thanks,',
  '-- ',
  'On Tue, 30 May 2023 13:35:53 -0400, Brian Rak wrote:',
  'The guest hangs at this point and never comes back.',
  '```',
  '    ...',
  '^C',
  'and then, a few seconds later:',
  'Here the vCPU loops forever between L1 and L2 (see below).',
];

/** A line a record cannot continue onto: blank (after quote marks) or a record header (`[cpu]` and `secs.frac: `). */
const isBoundary = (l) => l.replace(/^[\s>]*/, '') === '' || (/\[\d{1,5}\]/.test(l) && /\d+(?:\.\d+)?: /.test(l));

/** Insert prose lines before the given line indexes (moved forward to a record boundary: people paste between records). */
export function insertProse(text, at) {
  const s = splitLines(text);
  const picks = [...at].sort((a, b) => b[0] - a[0]);
  for (const [i, k] of picks) {
    let j = Math.min(i, s.lines.length);
    while (j < s.lines.length && !isBoundary(s.lines[j])) j++;
    s.lines.splice(j, 0, PROSE[k % PROSE.length]);
  }
  return joinLines(s);
}

/** Cut the leading columns of every record: up to the CPU (`[003] …`), the timestamp, or the event name. */
export function cutColumns(text, level) {
  const s = splitLines(text);
  s.lines = s.lines.map((l) => {
    const m = /^(.*?)(\[\d{1,5}\]).*?\s(\d+(?:\.\d+)?): +((?:\w+:)?\w+:)/.exec(l);
    if (m === null || /^\s*#/.test(l)) return l;
    if (level === 0) return l.slice(m.index + m[1].length);
    const tsAt = l.indexOf(`${m[3]}: `, m[1].length + m[2].length);
    if (level === 1) return l.slice(tsAt);
    return l.slice(l.indexOf(m[4], tsAt));
  });
  return joinLines(s);
}

/** One damage, or two composed in the order mail systems apply them (wrap/flow first, then quote, then QP). */
export const damageArb = fc.oneof(
  fc.record({ kind: fc.constant('quote'), depth: fc.integer({ min: 1, max: 3 }), style: fc.integer({ min: 0, max: 2 }) }),
  fc.record({
    kind: fc.constant('wrap'),
    width: fc.integer({ min: 72, max: 132 }),
    indent: fc.constantFrom(0, 0, 1, 2, 4, 8),
    requote: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('flowed'), width: fc.integer({ min: 66, max: 100 }), keepTrailing: fc.boolean() }),
  fc.record({ kind: fc.constant('qp') }),
  fc.record({ kind: fc.constant('tabs'), all: fc.boolean() }),
  fc.record({
    kind: fc.constant('prose'),
    at: fc.array(fc.tuple(fc.nat(200), fc.nat(PROSE.length - 1)), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('mail'),
    width: fc.integer({ min: 72, max: 100 }),
    flowed: fc.boolean(),
    depth: fc.integer({ min: 0, max: 2 }),
    qp: fc.boolean(),
  }),
);

/**
 * Damage the repair reads only in part, for the robustness properties (accounting, no crash), not for recovery:
 * a terminal's cut at a fixed width splits words, and where a record wraps over several such lines more than one
 * reading parses (`EXCEPTION_N` + `MI`): the repair keeps the record and its event name, not always every field.
 */
export const anyDamageArb = fc.oneof(damageArb, fc.record({ kind: fc.constant('termCut'), width: fc.integer({ min: 40, max: 132 }) }));

export function applyDamage(text, d) {
  switch (d.kind) {
    case 'quote':
      return quote(text, d.depth, d.style);
    case 'wrap':
      return hardWrap(text, d.width, d.indent, d.requote);
    case 'flowed':
      return flowed(text, d.width, d.keepTrailing);
    case 'qp':
      return qpEncode(text);
    case 'termCut':
      return termCut(text, d.width);
    case 'tabs':
      return tabify(text, d.all);
    case 'prose':
      return insertProse(text, d.at);
    case 'mail': {
      let t = d.flowed ? flowed(text, d.width, false) : hardWrap(text, d.width, 0);
      if (d.depth > 0) t = quote(t, d.depth, 0);
      return d.qp ? qpEncode(t) : t;
    }
    default:
      throw new Error(`unknown damage ${d.kind}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Corruption (bytes → bytes)

export const corruptionArb = fc.oneof(
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip'), flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('insert'),
    at: fc.nat(),
    bytes: fc.array(fc.constantFrom(0, 10, 13, 0xff, 0xc3, 0x80, 0x3d, 0x3e, 0x20, 0x5b, 0x3a), { minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant('dupLine'), i: fc.nat(), times: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('delLine'), i: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('swapCpu'), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant('crlf') }),
  fc.record({ kind: fc.constant('damage'), damage: anyDamageArb, from: fc.nat(), len: fc.nat(80) }),
);

const linesOf = (buf) => {
  const out = [];
  let s = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 10) {
      out.push(buf.subarray(s, i + 1));
      s = i + 1;
    }
  }
  if (s < buf.length) out.push(buf.subarray(s));
  return out;
};

export function applyCorruption(buf, c) {
  const n = buf.length;
  switch (c.kind) {
    case 'truncate':
      return buf.subarray(0, n === 0 ? 0 : c.at % (n + 1));
    case 'flip': {
      const b = Buffer.from(buf);
      for (const [at, v] of c.flips) if (n > 0) b[at % n] = v;
      return b;
    }
    case 'insert': {
      const at = n === 0 ? 0 : c.at % (n + 1);
      return Buffer.concat([buf.subarray(0, at), Buffer.from(c.bytes), buf.subarray(at)]);
    }
    case 'dupLine': {
      const ls = linesOf(buf);
      if (ls.length === 0) return buf;
      const i = c.i % ls.length;
      const dup = Array(c.times).fill(ls[i]);
      return Buffer.concat([...ls.slice(0, i + 1), ...dup, ...ls.slice(i + 1)]);
    }
    case 'delLine': {
      const ls = linesOf(buf);
      if (ls.length === 0) return buf;
      const i = c.i % ls.length;
      return Buffer.concat([...ls.slice(0, i), ...ls.slice(i + c.n)]);
    }
    case 'swapCpu': {
      // Reorder within one CPU: swap two records that print the same `[cpu]` column.
      const ls = linesOf(buf);
      const cpuOf = (l) => /\[(\d{1,5})\]/.exec(l.toString('latin1'))?.[1] ?? null;
      const idx = ls.map((l, k) => [k, cpuOf(l)]).filter(([, v]) => v !== null);
      if (idx.length < 2) return buf;
      const a = idx[c.i % idx.length];
      const same = idx.filter(([, v]) => v === a[1]);
      const b = same[c.j % same.length];
      const out = ls.slice();
      out[a[0]] = ls[b[0]];
      out[b[0]] = ls[a[0]];
      return Buffer.concat(out);
    }
    case 'crlf':
      return Buffer.from(buf.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
    case 'damage': {
      // Damage a window of lines only (a partly quoted/wrapped paste).
      const ls = linesOf(buf).map((l) => l.toString('utf8'));
      if (ls.length === 0) return buf;
      const from = c.from % ls.length;
      const mid = applyDamage(ls.slice(from, from + c.len).join(''), c.damage);
      return Buffer.from(ls.slice(0, from).join('') + mid + ls.slice(from + c.len).join(''), 'utf8');
    }
    default:
      throw new Error(`unknown corruption ${c.kind}`);
  }
}

/** A whole corruption case: a source, 1-4 corruptions, optionally gzip (then maybe cut or flipped). */
export const corruptCaseArb = (nSources) =>
  fc.record({
    source: fc.nat(nSources - 1),
    corruptions: fc.array(corruptionArb, { minLength: 1, maxLength: 4 }),
    gzip: fc.oneof(
      { arbitrary: fc.constant(null), weight: 6 },
      fc.record({ kind: fc.constant('whole') }),
      fc.record({ kind: fc.constant('cut'), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip'), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    ),
  });

export function buildCorruptCase(sources, k) {
  let buf = Buffer.from(sources[k.source].text, 'utf8');
  for (const c of k.corruptions) buf = applyCorruption(buf, c);
  const plain = buf;
  if (k.gzip === null) return { plain, bytes: buf, gzip: null };
  let gz = gzipSync(buf);
  // A cut/flip inside the 10-byte gzip header would only test zlib's header check; aim past it.
  if (k.gzip.kind === 'cut') gz = gz.subarray(0, 10 + (k.gzip.at % Math.max(1, gz.length - 10)));
  if (k.gzip.kind === 'flip') {
    gz = Buffer.from(gz);
    gz[10 + (k.gzip.at % Math.max(1, gz.length - 10))] = k.gzip.v;
  }
  return { plain, bytes: gz, gzip: k.gzip.kind };
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

/** Lines the splitter sees in plain bytes: every `\n`, plus an unterminated last line. */
export function physicalLines(buf) {
  let n = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) n++;
  return buf.length > 0 && buf[buf.length - 1] !== 10 ? n + 1 : n;
}

/** The accounting every analysis keeps; throws with what broke. `lines` null when unknown (gzip cut). */
export function checkAccounting(a, lines) {
  const i = a.input;
  const fail = (m) => {
    throw new Error(`${m}: ${JSON.stringify({ lines: i.lines, events: i.events, ne: i.nonEventLines, un: i.unrecognizedLines, rt: a.roundTrips })}`);
  };
  if (i.events + i.nonEventLines + i.unrecognizedLines !== i.lines) fail('lines != events + nonEvent + unrecognized');
  if (lines !== null && i.lines !== lines) fail(`lines ${i.lines} != physical lines ${lines}`);
  const sum = Object.values(i.eventCounts).reduce((s, v) => s + v, 0);
  if (sum !== i.events) fail('sum(eventCounts) != events');
  const r = a.roundTrips;
  if (r.complete + r.untimed + r.negative + r.discardedLost + r.orphanExits !== r.exits) fail('exits not accounted');
  if (a.mode === 'round-trips' && r.classified + r.filtered !== r.complete + r.untimed) fail('classified != complete + untimed');
  for (const m of a.mechanisms) if (m.minNs !== null && m.minNs < 0) fail('negative duration in a row');
}

/** What "the records of the clean original" means: everything the analysis derives from the records. */
export function recordsView(a) {
  // The format label is left out: a hard wrap loses trace-cmd's event-name padding, which is what tells it from ftrace.
  return {
    mode: a.mode,
    eventCounts: a.input.eventCounts,
    first: a.input.firstTimestamp,
    last: a.input.lastTimestamp,
    isa: a.input.isa,
    roundTrips: a.roundTrips,
    mechanisms: a.mechanisms.map((m) => [m.mechanism, m.count, m.p50Ns, m.maxNs, m.evidence]),
    exitReasons: a.exitReasons.map((r) => [r.reason, r.count]),
    vcpus: a.vcpus.map((v) => [v.thread, v.count]),
    devices: a.devices.map((d) => [d.addressHex, d.direction, d.count]),
  };
}
