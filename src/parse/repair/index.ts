/**
 * The repair stage: turns pasted, mail-damaged trace text back into one logical line per record, between the line
 * splitter (lines.ts) and `TextParser.handle`. It is off for clean tool output (zero cost: `detectDamage` looks only
 * at the sniff window) and switched on when that window shows damage, or later when a line fails to parse;
 * `--no-repair` keeps it off.
 *
 * Steps, in the order the damage is undone (the reverse of the order a mail system applies it):
 *   1. quoted-printable: soft line breaks (`=` at the end) joined, `=XX` escapes decoded (RFC 2045 §6.7) — only
 *      when the window carries QP (see `detectDamage`: a clean trace has `vcpu=0 prev=0`, which QP never prints);
 *   2. no-break spaces → spaces; 3. quote prefix (`> `, `>> `, `> > `) stripped, depth kept;
 *   4. format=flowed space-stuffing undone (one leading space, RFC 3676 §4.4) when the text is flowed;
 *   5. records inside source-code string literals or comments unwrapped (#025, #028);
 *   6. records rejoined: a record is held until the next line shows it is complete. A following line that is not a
 *      record itself (no timestamp landmark, not a header, not a cut record) continues it when
 *        - the record ended with a format=flowed soft break (trailing space, same quote depth; #019), or
 *        - the header ended after the timestamp, the CPU or the flags (the payload is on the next line), or
 *        - the record is a KVM event whose payload does not parse yet (wrapped mid-payload, #027), or parses and
 *          the line starts with one of its payload keys (`info2 0x…`, `rip 0x…`); or its payload is empty.
 *      A KVM payload is checked with the real payload parser (payloads.ts, on a scratch diagnostics sink); when the
 *      joined text never parses, the longest prefix of the chain that does is kept and the other lines go through
 *      unchanged, so prose after a complete record (#011 `VMX timer exit, …`) is never swallowed.
 *   7. records whose leading columns were cut are read (cut-columns.ts) and counted.
 * Every step is counted per record it changed (diagnostic codes `repaired_*`, `cut_columns`, info); continuation
 * lines are counted with the non-event lines, so `lines = events + nonEventLines + unrecognizedLines` still holds.
 */
import { Diagnostics, type DiagnosticCode } from '../../model/diagnostics.js';
import type { EventHeader } from '../../model/events.js';
import { MAX_LINE_BYTES } from '../lines.js';
import { buildEvent } from '../payloads.js';
import { parseLostMarker, splitRecordLine, type TaskStyle } from '../record-line.js';
import { isTraceCmdPrologue } from '../trace-cmd-report.js';
import type { LineColumns } from '../types.js';
import { splitCutRecord } from './cut-columns.js';
import {
  decodeQp,
  dropSoftBreak,
  isSoftBreak,
  looksLikeRecord,
  normalizeSpaces,
  qpSignals,
  stripQuote,
  unwrapCode,
} from './lines.js';

export { sniffCutRecords, splitCutRecord } from './cut-columns.js';

/** Repair steps as bits (one record may need several). */
export const STEP_QUOTE = 1;
export const STEP_QP = 2;
export const STEP_FLOWED = 4;
export const STEP_REJOINED = 8;
export const STEP_CODE = 16;
export const STEP_CUT = 32;
export const STEP_SPACES = 64;

/** Step bit → the diagnostic code that counts it. */
export const REPAIR_CODES: readonly (readonly [number, DiagnosticCode])[] = [
  [STEP_QUOTE, 'repaired_quote_prefix'],
  [STEP_QP, 'repaired_qp'],
  [STEP_FLOWED, 'repaired_flowed'],
  [STEP_REJOINED, 'repaired_rejoined'],
  [STEP_CODE, 'repaired_code_wrapping'],
  [STEP_SPACES, 'repaired_spaces'],
  [STEP_CUT, 'cut_columns'],
];

/** What the sniff window showed. `signals` names the damage seen (for tests and debugging). */
export interface RepairProfile {
  /** Decode quoted-printable. */
  qp: boolean;
  /** Undo format=flowed space-stuffing. */
  flowed: boolean;
  signals: string[];
}

/** One repaired line handed to the parser: `lines` physical lines (≥ 1) made it; `cols` when already split. */
export interface LogicalLine {
  text: string;
  bad: boolean;
  final: boolean;
  lines: number;
  steps: number;
  cols?: LineColumns | null;
}

export type LogicalSink = (l: LogicalLine) => void;

/** KVM events whose payload payloads.ts checks (a failed check means "incomplete" to the rejoiner). */
const TYPED: ReadonlySet<string> = new Set([
  'kvm_exit', 'kvm_entry', 'kvm_pio', 'kvm_mmio', 'kvm_fast_mmio', 'kvm_hypercall', 'kvm_hv_hypercall',
  'kvm_xen_hypercall', 'kvm_userspace_exit', 'kvm_msr', 'kvm_cpuid', 'kvm_emulate_insn', 'kvm_nested_vmexit',
  'kvm_nested_vmexit_inject', 'kvm_page_fault',
]);

/** Tokens that start a field of a KVM payload (payloads.ts header lists the formats): a wrapped payload resumes here. */
const PAYLOAD_KEYS: ReadonlySet<string> = new Set([
  'vcpu', 'reason', 'rip', 'info', 'info1', 'info2', 'intr_info', 'error_code', 'requests', 'PC:', 'HSR_EC:', 'at',
  'size', 'count', 'val', 'len', 'gpa', 'nr', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'cpl', 'code', 'fast', 'slow',
  'cnt', 'var_cnt', 'rep_cnt', 'idx', 'in', 'out', 'func', 'rax', 'rbx', 'rcx', 'rdx', 'address', 'rip:', 'reason:',
  'ext_inf1:', 'ext_inf2:', 'ext_int:', 'ext_int_err:', 'int_info', 'int_info_err', '(...)', '(real)', '(prot16)',
  '(prot32)', '(prot64)', '(vm86)', 'failed', 'FAIL', 'cpuid', 'used',
]);

/** ftrace/trace-cmd irq-flags column (record-line.ts FLAGS). */
const FLAGS_RE = String.raw`[.dDbX][.nNpBLlb][.hHsSzZ][.0-9a-f][.0-9a-f]?`;
/**
 * A record header cut before its event name is complete: after the CPU (`qemu-1234 [003]`, perf `qemu 1234 [003]`,
 * perf -F `[003]`), the flags (`… [003] d..1.`), inside or after the timestamp (`… 398.6914`, `… 398.691401:`), or
 * inside the event name (`… 398.691401: kvm_nested_vmexi`, a cut at a terminal's width).
 */
const FRAGMENT = new RegExp(
  String.raw`(?:\S(?:-|\s+)\d+(?:\/\d+)?\s+(?:\(\s*[\d-]+\)\s+)?\[\d{1,5}\]|^\s*\[\d{1,5}\])` +
    String.raw`(?:\s+${FLAGS_RE})?(?:\s+\d+(?:\.\d*)?(?::(?:\s+[A-Za-z_][\w:]*)?)?)?\s*$`,
);

/**
 * A chain of joined lines stops here: the longest real record is < 400 bytes (lines.ts), which 8 lines of 50
 * columns cover; 4 KiB leaves room for padding runs (trace-cmd pads names to 20) and bounds the work per record.
 */
const MAX_PARTS = 8;
const MAX_JOIN_CHARS = 4096;

function isFragment(text: string): boolean {
  return FRAGMENT.test(text) && splitRecordLine(text, 'dash') === null;
}

/** A break inside a word (a cut at a terminal's width), not at a blank (a mail client's wrap). */
function midToken(a: string, b: string): boolean {
  return /[\w.]$/.test(a) && /^[\w.:]/.test(b);
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** A line that is not trace data at all (mail header, prose) — used only for QP counter-evidence. */
const MAIL_HEADER = /^[A-Za-z][\w-]*:\s/;

/**
 * Look at the sniff window and say whether (and how) to repair. null = clean: no step would change anything.
 * Signals: quote / qp / flowed / code / spaces / cut / wrapped. Prose alone is none (it is skipped either way).
 */
export function detectDamage(lines: readonly string[]): RepairProfile | null {
  const signals = new Set<string>();
  let qpHeader = false;
  let flowedHeader = false;
  let qpEvidence = 0;
  let qpAgainst = 0;
  let flowedEvidence = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.length === 0) continue;
    if (/^content-transfer-encoding:\s*quoted-printable/i.test(l)) qpHeader = true;
    if (/format=flowed/i.test(l)) flowedHeader = true;
    const quoted = stripQuote(l);
    const body = quoted?.rest ?? l;
    // trace-cmd's `cpus=20` prologue (quoted or not) is not quoted-printable.
    const q = isTraceCmdPrologue(body) ? { evidence: 0, against: 0 } : qpSignals(l);
    qpEvidence += q.evidence;
    if (!MAIL_HEADER.test(body)) qpAgainst += q.against;
    if (quoted !== null && looksLikeRecord(body)) signals.add('quote');
    if (unwrapCode(body) !== null) signals.add('code');
    const spaced = normalizeSpaces(body);
    if (spaced !== null && looksLikeRecord(spaced)) signals.add('spaces');
    const rec = splitRecordLine(body, 'dash');
    if (rec !== null) {
      if (rec.tid < 0 || rec.cpu < 0) signals.add('cut');
      const next = lines[i + 1];
      const nb = next === undefined ? '' : (stripQuote(next)?.rest ?? next);
      if (!isBlank(nb) && !nb.trimStart().startsWith('#') && !looksLikeRecord(nb)) {
        // A record followed by text: wrapped only if the record is incomplete or the text resumes its payload
        // (prose after a complete record is skipped without any repair).
        const trailing = /[ \t]$/.test(body);
        if (trailing || rec.payload === '' || (TYPED.has(rec.name) && !payloadParses(rec.name, rec.payload)) || resumesPayload(nb)) {
          signals.add('wrapped');
          if (trailing) flowedEvidence++;
        }
      }
    } else if (isFragment(body)) {
      signals.add('wrapped');
    } else if (splitCutRecord(body) !== null) {
      signals.add('cut');
    }
    // Prose, prompts and mail headers alone need no repair: they are skipped (unrecognized_line) either way.
  }
  // QP never leaves a bare `=` (it becomes =3D): one unencoded `=` outside mail headers means "not QP".
  const qp = qpHeader || (qpEvidence > 0 && qpAgainst === 0);
  const flowed = flowedHeader || flowedEvidence > 0;
  if (qp) signals.add('qp');
  if (flowed) signals.add('flowed');
  if (signals.size === 0) return null;
  return { qp, flowed, signals: [...signals].sort() };
}

/** Does this line look like the rest of a wrapped KVM payload (`info2 0x…`, `rip 0x…`, `0x0000…`)? */
function resumesPayload(line: string): boolean {
  const t = line.trimStart();
  const sp = t.indexOf(' ');
  const first = sp === -1 ? t : t.slice(0, sp);
  return PAYLOAD_KEYS.has(first) || /^0x[0-9a-fA-F]/.test(first);
}

/**
 * After the sniff window, on a line that failed to parse: a profile when repair would change it (a quoted, wrapped,
 * QP-encoded, code-wrapped or cut record, or the rest of a wrapped payload), else null (prose: skipped as is).
 */
export function lateDamage(line: string): RepairProfile | null {
  const q = qpSignals(line);
  const qp = q.evidence > 0 && q.against === 0;
  const body = stripQuote(line)?.rest ?? line;
  const spaced = normalizeSpaces(body);
  const repairable =
    qp ||
    (body !== line && looksLikeRecord(body)) ||
    unwrapCode(body) !== null ||
    (spaced !== null && looksLikeRecord(spaced)) ||
    splitCutRecord(body) !== null ||
    isFragment(body) ||
    // The rest of a wrapped payload: a key with its value (`info2 0x…`, `size 4`) or a bare hex value. Stricter than
    // in the window: English prose starts with `in`, `at`, `out` too, and it must not cost a clean trace its speed.
    /^\s*(?:0x[0-9a-fA-F]+|\S+\s+(?:0x[0-9a-fA-F]+|\d+)\b)/.test(body) && resumesPayload(body);
  return repairable ? { qp, flowed: false, signals: ['late'] } : null;
}

/** A physical line after the per-line steps (or several, joined at QP soft breaks). */
interface Piece {
  text: string;
  bad: boolean;
  final: boolean;
  lines: number;
  steps: number;
  depth: number;
  /** Ended with a blank before repair: a format=flowed soft break when followed by a continuation. */
  trailing: boolean;
  /** Split result cached by the rejoiner (undefined = not computed yet). */
  cols?: LineColumns | null;
}

/** A record (or header fragment) waiting for its continuation lines. */
interface Held {
  parts: Piece[];
  /** Separator before parts[i+1]: '' after a flowed soft break, ' ' after a hard wrap, '~' inside a word (join). */
  seps: string[];
  text: string;
  cols: LineColumns | null;
  /** Header without event name yet. */
  fragment: boolean;
  /** Starts at the event name (cut-columns). */
  cut: boolean;
  /** A KVM event whose payload payloads.ts checks. */
  typed: boolean;
  /** Current text parses (typed only); null until a continuation candidate asks (most records never need it). */
  ok: boolean | null;
}

const TRIAL_HEADER: EventHeader = { ts: 0, cpu: -1, tid: -1, comm: '', instance: '', source: { file: 0, line: 0 } };
const trialDiag = new Diagnostics();

/** Does payloads.ts accept this payload? (a scratch diagnostics sink: nothing is recorded) */
export function payloadParses(name: string, payload: string): boolean {
  const before = trialDiag.count('bad_payload');
  buildEvent(name, payload, TRIAL_HEADER, { diag: trialDiag, source: TRIAL_HEADER.source, line: '' });
  return trialDiag.count('bad_payload') === before;
}

export class Repairer {
  /** Task-column style for splitting (set by the parser once the format is known). */
  style: TaskStyle = 'dash';
  /** True once `style` is final: the columns handed out can be reused by the parser. */
  styleFinal = false;
  private qpAcc: { text: string; bad: boolean; lines: number; prefix: string } | null = null;
  private held: Held | null = null;

  constructor(
    readonly profile: RepairProfile,
    public out: LogicalSink,
  ) {}

  /** The format is known: split with its task-column style from now on (cached splits are redone). */
  setStyle(style: TaskStyle): void {
    this.style = style;
    this.styleFinal = true;
    const h = this.held;
    if (h === null) return;
    for (const p of h.parts) p.cols = undefined;
    if (!h.cut && !h.fragment && h.parts.length === 1) h.cols = this.split(h.parts[0]!);
  }

  /** One physical line from the splitter. */
  push(text: string, bad: boolean, final: boolean): void {
    if (this.profile.qp) {
      // A soft break joins the next line, up to the splitter's line limit (memory stays bounded).
      if (isSoftBreak(text) && !final && (this.qpAcc === null || this.qpAcc.text.length < MAX_LINE_BYTES)) {
        if (this.qpAcc === null) {
          const q = /^[ \t]{0,3}(?:>[ \t]?)+/.exec(text);
          this.qpAcc = { text: dropSoftBreak(text), bad, lines: 1, prefix: q?.[0] ?? '' };
        } else {
          this.qpAcc.text += this.continuationOf(dropSoftBreak(text));
          this.qpAcc.bad ||= bad;
          this.qpAcc.lines++;
        }
        return;
      }
      let lines = 1;
      let steps = 0;
      if (this.qpAcc !== null) {
        text = this.qpAcc.text + this.continuationOf(isSoftBreak(text) ? dropSoftBreak(text) : text);
        bad ||= this.qpAcc.bad;
        lines += this.qpAcc.lines;
        steps |= STEP_QP;
        this.qpAcc = null;
      }
      const d = decodeQp(text);
      if (d.changed) {
        text = d.text;
        bad ||= d.bad;
        steps |= STEP_QP;
      }
      this.process(this.piece(text, bad, final, lines, steps));
      return;
    }
    this.process(this.piece(text, bad, final, 1, 0));
  }

  /** Flush everything held (end of input, or before a line the splitter skipped). */
  end(): void {
    if (this.qpAcc !== null) {
      const a = this.qpAcc;
      this.qpAcc = null;
      const d = decodeQp(a.text);
      this.process(this.piece(d.text, a.bad || d.bad, true, a.lines, STEP_QP));
    }
    if (this.held !== null) this.flush();
  }

  /** A QP continuation re-quoted with the same prefix as its first part (quoting applied after encoding). */
  private continuationOf(text: string): string {
    const p = this.qpAcc?.prefix ?? '';
    return p !== '' && text.startsWith(p) ? text.slice(p.length) : text;
  }

  /** Steps 2-5 on one line. */
  private piece(text: string, bad: boolean, final: boolean, lines: number, steps: number): Piece {
    const trailing = text.length > 0 && (text.charCodeAt(text.length - 1) === 32 || text.charCodeAt(text.length - 1) === 9);
    let depth = 0;
    const spaced = normalizeSpaces(text);
    if (spaced !== null) {
      text = spaced;
      steps |= STEP_SPACES;
    }
    const q = stripQuote(text);
    if (q !== null) {
      text = q.rest;
      depth = q.depth;
      steps |= STEP_QUOTE;
    }
    if (this.profile.flowed && text.charCodeAt(0) === 32) {
      text = text.slice(1);
      steps |= STEP_FLOWED;
      // Stuffing protected a `>` of an older quote level (RFC 3676 §4.4): that level is a quote too.
      const q2 = text.charCodeAt(0) === 62 ? stripQuote(text) : null;
      if (q2 !== null) {
        text = q2.rest;
        depth += q2.depth;
        steps |= STEP_QUOTE;
      }
    }
    const code = unwrapCode(text);
    if (code !== null) {
      text = code;
      steps |= STEP_CODE;
    }
    return { text, bad, final, lines, steps, depth, trailing };
  }

  private split(p: Piece): LineColumns | null {
    if (p.cols === undefined) p.cols = splitRecordLine(p.text, this.style);
    return p.cols;
  }

  private process(p: Piece): void {
    if (this.held !== null) {
      if (this.admit(this.held, p)) {
        if (p.final) this.flush();
        return;
      }
      this.flush();
    }
    this.start(p);
  }

  private start(p: Piece): void {
    if (isBlank(p.text)) {
      this.emitPiece(p);
      return;
    }
    const cols = this.split(p);
    let h: Held | null = null;
    if (cols !== null) {
      h = { parts: [p], seps: [], text: p.text, cols, fragment: false, cut: false, typed: TYPED.has(cols.name), ok: null };
    } else if (isFragment(p.text)) {
      h = { parts: [p], seps: [], text: p.text, cols: null, fragment: true, cut: false, typed: false, ok: false };
    } else {
      const cut = splitCutRecord(p.text);
      if (cut !== null) {
        h = { parts: [p], seps: [], text: p.text, cols: cut, fragment: false, cut: true, typed: TYPED.has(cut.name), ok: null };
      }
    }
    if (h === null) {
      this.emitPiece(p);
      return;
    }
    this.held = h;
    if (p.final) this.flush();
  }

  /** Does `p` continue the held record? If so it is appended and true is returned. */
  private admit(h: Held, p: Piece): boolean {
    if (h.parts.length >= MAX_PARTS || h.text.length + p.text.length > MAX_JOIN_CHARS) return false;
    const last = h.parts[h.parts.length - 1]!;
    // A continuation keeps the record's quote depth, or lost levels (a client that wrapped and did not re-quote,
    // before later replies quoted it again); never deeper.
    if (p.depth > h.parts[0]!.depth) return false;
    const flowedBreak = last.trailing;
    if (isBlank(p.text)) {
      // Only blanks, itself flowed: a soft break inside a run of padding (trace-cmd pads event names to 20).
      if (!(flowedBreak && p.trailing && p.text.length > 0 && !h.fragment)) return false;
      h.parts.push(p);
      h.seps.push('');
      h.text += p.text;
      return true;
    }
    const t0 = p.text.trimStart();
    if (t0.startsWith('#') || parseLostMarker(p.text) !== null || isTraceCmdPrologue(p.text)) return false;
    const pc = this.split(p);
    if (h.fragment) {
      // The rest of a header: anything but a complete record of its own (a record cut at the timestamp is fine).
      if (pc !== null && (pc.tid >= 0 || pc.cpu >= 0 || pc.comm !== '')) return false;
      // Glued (a cut inside a word) or with a blank (a wrap): whichever makes a record that keeps its header.
      const seps = flowedBreak ? [''] : midToken(h.text, p.text) ? ['~', ' '] : [' ', '~'];
      let sep = seps[0]!;
      let text = join(h.text, sep, p.text);
      let jc: LineColumns | null = null;
      for (const s of seps) {
        const t = join(h.text, s, p.text);
        const c = splitRecordLine(t, this.style);
        if (c !== null && (c.tid >= 0 || c.cpu >= 0)) {
          sep = s;
          text = t;
          jc = c;
          break;
        }
      }
      if (jc === null && !isFragment(text)) return false;
      h.parts.push(p);
      h.seps.push(sep);
      h.text = text;
      h.cols = jc;
      h.fragment = jc === null;
      h.typed = jc !== null && TYPED.has(jc.name);
      h.ok = null;
      return true;
    }
    if (pc !== null || isFragment(p.text) || splitCutRecord(p.text) !== null) return false;
    let sep = flowedBreak ? '' : ' ';
    let text = join(h.text, sep, p.text);
    if (h.typed) {
      // A cut inside a word (a terminal's width: `EXCEPTION_N` / `MI rip …`, `gpa 0x10` / `000000 …`) is glued
      // when that parses: a mail wrap never splits a word, and gluing two words of a wrap almost never parses.
      const glued = !flowedBreak && midToken(h.text, p.text) ? join(h.text, '~', p.text) : null;
      if (glued !== null && this.trial(glued, h.cut)) {
        sep = '~';
        text = glued;
        h.ok = true;
      } else {
        const sp = t0.indexOf(' ');
        const firstTok = sp === -1 ? t0 : t0.slice(0, sp);
        const okBefore = this.okOf(h);
        if (!(flowedBreak || !okBefore || PAYLOAD_KEYS.has(firstTok))) return false;
        const ok = this.trial(text, h.cut);
        // A complete record followed by a key-led line that does not parse with it: not a continuation.
        if (okBefore && !ok && !flowedBreak) return false;
        h.ok = ok;
      }
    } else if (!(flowedBreak || (h.parts.length === 1 && h.cols !== null && h.cols.payload === ''))) {
      return false;
    }
    h.parts.push(p);
    h.seps.push(sep);
    h.text = text;
    h.cols = null;
    return true;
  }

  /** Does the held record's current text parse? Computed on demand, from its columns when they are current. */
  private okOf(h: Held): boolean {
    if (h.ok === null) h.ok = h.cols !== null ? payloadParses(h.cols.name, h.cols.payload) : this.trial(h.text, h.cut);
    return h.ok;
  }

  /** Does the payload parser accept this record text? (scratch diagnostics, nothing recorded) */
  private trial(text: string, cut: boolean): boolean {
    const cols = cut ? splitCutRecord(text) : splitRecordLine(text, this.style);
    return cols !== null && payloadParses(cols.name, cols.payload);
  }

  private flush(): void {
    const h = this.held;
    if (h === null) return;
    this.held = null;
    if (h.fragment) {
      for (const p of h.parts) this.emitPiece(p);
      return;
    }
    let k = h.parts.length;
    if (h.typed && k > 1 && !this.okOf(h)) {
      // The whole chain does not parse: keep the longest prefix that does (the record alone if none).
      k = 1;
      for (let j = h.parts.length - 1; j >= 2; j--) {
        if (this.trial(joinParts(h, j), h.cut)) {
          k = j;
          break;
        }
      }
    }
    const first = h.parts[0]!;
    if (k === 1) {
      this.out({ ...logical(first), cols: this.styleFinal ? (h.cut ? h.cols : first.cols) : undefined });
    } else {
      let steps = 0;
      let lines = 0;
      let bad = false;
      for (let i = 0; i < k; i++) {
        const p = h.parts[i]!;
        steps |= p.steps;
        lines += p.lines;
        bad ||= p.bad;
        if (i > 0) steps |= h.seps[i - 1] === '' ? STEP_FLOWED : STEP_REJOINED;
      }
      const text = k === h.parts.length ? h.text : joinParts(h, k);
      this.out({ text, bad, final: h.parts[k - 1]!.final, lines, steps });
    }
    for (let i = k; i < h.parts.length; i++) this.emitPiece(h.parts[i]!);
  }

  private emitPiece(p: Piece): void {
    this.out(logical(p));
  }
}

function logical(p: Piece): LogicalLine {
  return { text: p.text, bad: p.bad, final: p.final, lines: p.lines, steps: p.steps };
}

/**
 * Join after a flowed soft break (`sep` '': the blank stays), a hard wrap (' ': one blank between the words) or a
 * cut inside a word ('~': glued).
 */
function join(a: string, sep: string, b: string): string {
  if (sep === '') return a + b;
  return sep === '~' ? a.trimEnd() + b.trimStart() : `${a.trimEnd()} ${b.trimStart()}`;
}

function joinParts(h: Held, k: number): string {
  let t = h.parts[0]!.text;
  for (let i = 1; i < k; i++) t = join(t, h.seps[i - 1]!, h.parts[i]!.text);
  return t;
}
