/**
 * Per-line repairs of pasted trace text: each function undoes one kind of damage on one line and says whether it
 * did. They are pure, cheap when the damage is absent (a character test first), and never touch a clean record.
 *
 * Damage, as seen in the public excerpts (fixtures/public, `#NNN`):
 *   quote prefix    `>  qemu-system-x86-18971   [015] d.... 95922.997039: kvm_exit: …`            (#009, `>> ` #027)
 *   quoted-printable `… kvm_msr: msr_write 6e0 =3D 0x4dc…=` + soft line break (RFC 2045 §6.7)
 *   format=flowed   space-stuffed lines (`              CPU-353246 …`: one extra leading space, RFC 3676 §4.4)  (#019)
 *   source code     `\t\t"       fc_vcpu 1  599500 [039] 1377662.550600: kvm:kvm_entry: …\n" +`         (#025),
 *                   `    #   <...>-105662 [002] 117471684343752: kvm_update_master_clock: …`             (#028)
 *   web/chat paste  U+00A0 no-break spaces instead of spaces; `\r\r\n` line ends (CRLF converted twice)
 * Sources: RFC 2045 §6.7 (quoted-printable), RFC 3676 §4.2-4.5 (format=flowed, quote depth, space-stuffing).
 */
import { isUtf8 } from 'node:buffer';
import { splitRecordLine } from '../record-line.js';
import { splitCutRecord } from './cut-columns.js';

/**
 * A quote prefix: up to 3 blanks (some clients indent quotes), then one or more `>` each optionally followed by one
 * blank (`> `, `>> `, `> > `, `>`), as mail clients write them (RFC 3676 §4.5 counts the `>` for the depth); `&gt;`
 * when the text was copied from a web archive's HTML source.
 */
const QUOTE = /^[ \t]{0,3}((?:(?:>|&gt;)[ \t]?)+)/;

/** Strip a mail quote prefix; null when the line has none. `depth` = number of `>`. */
export function stripQuote(line: string): { depth: number; rest: string } | null {
  const c = line.charCodeAt(0);
  if (c !== 62 /* > */ && c !== 38 /* & */ && c !== 32 && c !== 9) return null;
  const m = QUOTE.exec(line);
  if (m === null) return null;
  let depth = 0;
  for (const ch of m[1]!) if (ch === '>' || ch === ';') depth++;
  return { depth, rest: line.slice(m[0].length) };
}

/** A quoted-printable soft line break: `=` as the last character (trailing blanks added in transport ignored). */
const SOFT_BREAK = /=[ \t]*$/;
const QP_ESCAPE = /=([0-9A-Fa-f]{2})/g;

export function isSoftBreak(line: string): boolean {
  return line.length > 0 && line.indexOf('=') !== -1 && SOFT_BREAK.test(line);
}

/** The line without its soft break. */
export function dropSoftBreak(line: string): string {
  return line.replace(SOFT_BREAK, '');
}

/**
 * Decode `=XX` escapes (bytes, then UTF-8). `bad` when the decoded bytes are not valid UTF-8 (a cut multi-byte
 * escape sequence); they are then decoded with replacement characters.
 */
export function decodeQp(line: string): { text: string; changed: boolean; bad: boolean } {
  if (line.indexOf('=') === -1) return { text: line, changed: false, bad: false };
  const parts: Buffer[] = [];
  let last = 0;
  let changed = false;
  for (const m of line.matchAll(QP_ESCAPE)) {
    const at = m.index;
    if (at > last) parts.push(Buffer.from(line.slice(last, at), 'utf8'));
    parts.push(Buffer.from([Number.parseInt(m[1]!, 16)]));
    last = at + 3;
    changed = true;
  }
  if (!changed) return { text: line, changed: false, bad: false };
  if (last < line.length) parts.push(Buffer.from(line.slice(last), 'utf8'));
  const buf = Buffer.concat(parts);
  return { text: buf.toString('utf8'), changed: true, bad: !isUtf8(buf) };
}

/**
 * Evidence that a line is quoted-printable: `=3D` (an encoded `=`), an encoded UTF-8 pair, an encoded trailing
 * blank (`=20`/`=09` at the end: kvm_pio lines end with a blank, #003), a soft break. trace-cmd's `cpus=20` prologue
 * is excluded by the caller.
 */
const QP_EVIDENCE = /=3D|=[C-F][0-9A-F]=[89AB][0-9A-F]|=(?:20|09)$/g;
/** A `=` that quoted-printable would have encoded: not followed by two hex digits, not a soft break. */
const QP_AGAINST = /=(?![0-9A-F]{2}|[ \t]*$)/g;

/** Count QP evidence and counter-evidence on one line (detection over the sniff window). */
export function qpSignals(line: string): { evidence: number; against: number } {
  if (line.indexOf('=') === -1) return { evidence: 0, against: 0 };
  const evidence = (line.match(QP_EVIDENCE)?.length ?? 0) + (isSoftBreak(line) ? 1 : 0);
  return { evidence, against: line.match(QP_AGAINST)?.length ?? 0 };
}

/**
 * No-break and figure spaces pasted from web pages and chat clients (U+00A0, U+2007, U+202F), carriage returns
 * left over when CRLF text was converted twice (`\r\r\n`: the splitter drops one `\r`; trailing ones go, inner ones
 * become spaces), tabs between columns. null when the line has none.
 */
const ODD_SPACES = /[\u00a0\u2007\u202f\r]/g;

export function normalizeSpaces(line: string): string | null {
  let odd = false;
  for (let i = 0; i < line.length && !odd; i++) {
    const c = line.charCodeAt(i);
    odd = c === 0xa0 || c === 0x2007 || c === 0x202f || c === 13;
  }
  let out = odd ? line.replace(/\r+$/, '').replace(ODD_SPACES, ' ') : line;
  // Tabs between the columns (an editor or terminal turned runs of blanks into tabs): the record splitter wants
  // blanks after `ts:`. Leading indentation tabs (source code, #025) are left alone.
  const lead = out.length - out.trimStart().length;
  if (out.indexOf('\t', lead) !== -1) out = out.slice(0, lead) + out.slice(lead).replace(/\t/g, ' ');
  return out === line ? null : out;
}

/** A record or a cut record (event name first): the test every unwrapping must pass before it is applied. */
export function looksLikeRecord(text: string): boolean {
  return splitRecordLine(text, 'dash') !== null || splitCutRecord(text) !== null;
}

/**
 * A record inside a source-code string literal: optional `name :=`/`name =`/`name(`, a quote (`"`, `'`, backtick),
 * the text, the same quote, then `+`, `,`, `;`, `)` or a line-continuation backslash. Escapes `\n` (trailing),
 * `\t`, `\"`, `\'`, `\\` are undone.
 */
const STRING_LITERAL = /^\s*(?:[A-Za-z_$][\w$.[\]]*\s*(?::=|\+=|=|\()\s*)?(["'`])(.*)\1\s*[+,;)\\]*\s*$/;
/**
 * A record behind a comment marker: `#`, `//`, `*` (C block comment body), `;`, `--`, `%`, `!`, or on a one-line
 * block comment `/* … *\/`.
 */
const COMMENT = /^\s*(?:\/\/+|\/\*+|#+|\*+|;+|--|%+|!)[ \t]?/;
const COMMENT_END = /\s*\*\/\s*$/;

function unescapeLiteral(s: string): string {
  let t = s.replace(/(?:\\r)?(?:\\n)+$/, '');
  if (t.indexOf('\\') === -1) return t;
  t = t.replace(/\\(["'`\\tn])/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? ' ' : c));
  return t;
}

/** Unwrap a record from a string literal or comment; null when the line is not one (or holds no record). */
export function unwrapCode(line: string): string | null {
  const t = line.trimStart();
  const c = t.charCodeAt(0);
  if (c === 34 || c === 39 || c === 96 || /^[A-Za-z_$]/.test(t)) {
    // Quick reject: a literal ends with its quote (then + , ; ) or \).
    if (!/["'`][\s+,;)\\]*$/.test(t)) return null;
    const m = STRING_LITERAL.exec(line);
    if (m !== null) {
      const inner = unescapeLiteral(m[2]!);
      if (looksLikeRecord(inner)) return inner;
    }
    return null;
  }
  if (c === 35 || c === 47 || c === 42 || c === 59 || c === 45 || c === 37 || c === 33) {
    const m = COMMENT.exec(line);
    if (m === null) return null;
    const inner = line.slice(m[0].length).replace(COMMENT_END, '');
    if (looksLikeRecord(inner)) return inner;
  }
  return null;
}
