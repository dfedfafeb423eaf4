/**
 * KVM event payload text → typed `TraceEvent`, for every text format alike (ftrace, trace-cmd report, perf script).
 *
 * The payload is what follows `event_name:` (trimmed). It was printed either by the kernel's TP_printk or by the
 * libtraceevent kvm plugin (trace-cmd report, perf built with plugins); both are handled, with every kernel
 * generation. Example payloads per event and variant (`#NNN` = capture number in shared/fixtures/public):
 *
 * kvm_exit
 *   2.6.32          `reason apic_access rip 0xc011518c`                                              (#004)
 *   ≤5.3 / plugin   `reason EXCEPTION_NMI rip 0x1000 info 1000 80000b0e`                             (#003, #016)
 *   ~5.4-5.7        `vcpu 0 reason EPT_VIOLATION rip 0xffffffff8100 info 683 0` (P. Xu, "Trace vcpu_id for vmexit")
 *   5.8-5.9         `vcpu 0 reason INVALID_STATE FAILED_VMENTRY rip 0xfff0 info 0 0`
 *   5.10-6.13       `vcpu 0 reason EXCEPTION_NMI rip 0xfd0bd info1 0x0000000000000000 info2 0x…0413
 *                    intr_info 0x80000306 error_code 0x00000000`                                     (#009)
 *   6.14+           … `error_code 0x00000000 requests 0x0000000000000000`
 *   SVM             `vcpu 0 reason npf rip 0x400433 …`, `reason PF excp rip …` (names may contain a space)
 *   unknown value   `vcpu 0 reason 0x4a rip …` (kernel `__print_symbolic` fallback; VMX prints the basic reason)
 *   plugin          `reason EXIT_IOIO rip 0xec08e info cf80140 ec08f`                                 (#028)
 *                   `reason IO_INSTRUCTION rip 0xa962 native_io+0x12 info 1770008 0` (symbolized rip)
 *                   `reason UNKNOWN (2147483681) rip …`, `reason UNKNOWN-ISA rip …`
 *   arm64           `IRQ: HSR_EC: 0x0000 (UNKNOWN), PC: 0x0000000000401ec4`                           (#027)
 *                   `TRAP: HSR_EC: 0x0020 (IABT_LOW), PC: 0x…`; older `…, PC: 0x%08lx`; oldest `PC: 0x%08lx`
 *   MIPS            `[Interrupt]PC: 0x80001234` (isa 'unknown', reason kept as printed, no table check)
 * kvm_entry
 *   ≤5.9 `vcpu 0` (#003); 5.10 `vcpu 0, rip 0xf7d6b` (#009); 6.9 `vcpu 0, rip 0xf7d6b[immediate exit]` (no space);
 *   6.14 `vcpu 0, rip 0x… intr_info 0x00000000 error_code 0x00000000[immediate exit]`;
 *   plugin (libtraceevent ≥1.6.3) `vcpu 1 rip 0xffffffff81036706[ func+0x..]` (#025); arm64 `PC: 0x…` (vcpu -1)
 * kvm_pio        `pio_write at 0x3f8 size 1 count 1 val 0x34` (#003, trailing space trimmed), `… val 0x0 (...)`
 *                (count > 1), 2.6.32 `pio_read at 0xc13e size 2 count 1` (#004)
 * kvm_mmio       `mmio write len 4 gpa 0xfee000b0 val 0x0` (#004), `mmio unsatisfied-read len 4 gpa 0x… val 0x0`
 * kvm_fast_mmio  `fast mmio at gpa 0xfe003000`
 * kvm_hypercall  `nr 0x2c8a9e9cc6703c a0 0x… a1 0x… a2 0x… a3 0x7` (#011)
 * kvm_hv_hypercall `code 0x8 fast cnt 0x0 idx 0x0 in 0x0 out 0x0`, `code 0x8 slow var_cnt 0x0 rep_cnt 0x0 idx …`
 * kvm_xen_hypercall `cpl 0 nr 0x1d a0 0x… a1 … a5 …`
 * kvm_userspace_exit `reason KVM_EXIT_IO (2)` (#003), `reason restart (4)`, `reason error (14)`, `reason 0x1d (29)`
 * kvm_msr        `msr_write 6e0 = 0x4dcfc45840` (large fixture 05), `msr_read 1d9 = 0x0 (#GP)`
 * kvm_cpuid      `func 1 rax … rdx …`, `…, cpuid entry found`, `func 0 idx 0 rax d rbx … rdx …, cpuid entry found`
 *                (lab), `…, cpuid entry not found, used max basic`
 * kvm_emulate_insn kernel `0:1007:ee (real)` (#003), `0:ffffffff810551b8:0f 00 d8 (prot64) failed`;
 *                plugin `0:133025: ec FAIL`, `f0000:a962: ec` (#016), `0:ffffffff81000000 func+0x5: 89 38`
 * kvm_nested_vmexit ≤5.9 `rip: 0x0000… reason: EXTERNAL_INTERRUPT ext_inf1: 0x… ext_inf2: … ext_int: … ext_int_err: …`;
 *                ≥5.10 same as kvm_exit; plugin `rip 7fa9ee5224e4 reason IO_INSTRUCTION info1 5658000b info2 0 int_info
 *                0 int_info_err 0` (#020); plugin on ≥5.10 `CAN'T FIND FIELD "rip"<CANT FIND FIELD exit_code>vcpu 0
 *                reason npf rip 0x400433 info1 …` (lore 87365mqgcg.fsf@vitty.brq.redhat.com)
 * kvm_nested_vmexit_inject kernel `reason: EPT_VIOLATION ext_inf1: 0x… ext_inf2: … ext_int: 0x… ext_int_err: 0x…`;
 *                plugin `reason EPT_VIOLATION info1 683 info2 0 int_info 0 int_info_err 0`
 * kvm_page_fault `address 1000 error_code 14` (#003), `vcpu 1 rip 0xffffffffbc726140 address 0x00000001170aaff8
 *                error_code 0x683` (#019)
 *
 * kvm_exit fields: rawReason = the reason as printed without the VMX flags (`UNKNOWN (74)`, `0x4a`, `PF excp` kept
 * whole); exitCode = the number of `UNKNOWN (n)` / `0x..` (arm64: the EC); flags = printed flags, or bits 16-31 of a
 * plugin `UNKNOWN (n)`; isa = isaHintOfReason(rawReason) ('unknown' for numbers and ambiguous names) or 'arm64'.
 * arm64 rawReason = the EC name for TRAP exits, else the exception type (`IRQ`, `SERROR`, `HYP_GONE`), since IRQ
 * exits carry EC 0 (`UNKNOWN`); the full triple is in `arm64`.
 *
 * Everything else named `kvm_*` (and the KVM events without that prefix, e.g. `vcpu_match_mmio`) becomes
 * `kvm_other`; any other name becomes `other`. A typed event whose payload does not match records `bad_payload`;
 * kvm_exit / kvm_entry still produce an exit/entry (pairing needs them), the others fall back to `kvm_other`.
 * An exit whose reason is in none of the tables records `unknown_exit_reason` (warning).
 *
 * Hex numbers are stored lower-case without `0x` and without leading zeros (`0x0000000000000413` → `413`), so the
 * kernel's zero-padded and the plugin's bare forms compare equal.
 *
 * Sources read: torvalds/linux arch/x86/kvm/trace.h (Kingxukai/linux mirror @9b44fff6, 6.14+ with `requests`;
 * Peter Xu's 5.4 vcpu patch lore 20190906021722.2095-2-peterx@redhat.com), include/trace/events/kvm.h
 * (@0291023e), arch/arm64/kvm/trace_arm.h (0x%08lx → 0x%016lx change by M. Zyngier), rostedt/libtraceevent
 * plugins/plugin_kvm.c @6643bf9 (1.6.3), shared/docs/trace-formats.md.
 * Performance: a module-level token cursor (index pairs over the payload; no `split`, no regex on the hot path);
 * tokens are sliced out only when kept. A/B on the 2-core dev VM, same process, fresh strings (min of 9 runs of 100k):
 * plugin kvm_exit 0.78 µs (split-based 1.18), plugin kvm_entry 0.27 (0.54), 5.10 kvm_exit 1.34 (1.64), kvm_pio 0.54
 * (0.85); the lead's record-line split of the same kvm_exit line took ~1.3 µs there. (V8 caches `split` results for
 * a repeated identical string, so benchmarks must use distinct string objects.)
 */
import type { EventHeader, Isa, KvmEntry, KvmExit, MmioOp, TraceEvent } from '../model/events.js';
import {
  arm64EcCode,
  arm64EcName,
  canonicalizeReason,
  isaHintOfReason,
  normalizeVmxFlag,
  VMX_EXIT_FLAGS,
  vmxFlagsOf,
} from './exit-reasons.js';
import type { PayloadContext } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Token cursor over the payload. Module-level state, no allocation per token: `next()` moves [C.ts, C.te) to the
// next space-separated token (runs of blanks are tolerated, tabs become spaces); tokens are only sliced out when
// kept. buildEvent is not re-entrant, so one cursor serves every parser.

/** The cursor (one mutable object: module-level `let`s would cost a TDZ check per access in V8). */
const C = { s: '', pos: 0, ts: 0, te: 0 };

function begin(p: string, at = 0): void {
  // Tabs are rare (hand-edited text); turning them into spaces once lets next() use the native indexOf.
  C.s = p.indexOf('\t') === -1 ? p : p.replace(/\t/g, ' ');
  C.pos = at;
  C.ts = at;
  C.te = at;
}

/** Advance to the next token; false (and an empty token) at the end of the payload. */
function next(): boolean {
  const s = C.s;
  const n = s.length;
  let i = C.pos;
  while (i < n && s.charCodeAt(i) === 32) i++;
  let j = i < n ? s.indexOf(' ', i) : n;
  if (j === -1) j = n;
  C.ts = i;
  C.te = j;
  C.pos = j;
  return j > i;
}

/** Is the current token exactly `word`? */
function is(word: string): boolean {
  return C.te - C.ts === word.length && C.s.startsWith(word, C.ts);
}

/** Advance and test the new token. */
function nextIs(word: string): boolean {
  return next() && is(word);
}

function tok(): string {
  return C.s.slice(C.ts, C.te);
}

/** Normalized hex of C.s[a, b): lower-case, no `0x`, no leading zeros (one digit kept); null when not hex. */
function hexRange(a: number, b: number): string | null {
  let i = a;
  if (b - a >= 2 && C.s.charCodeAt(a) === 48 && (C.s.charCodeAt(a + 1) | 0x20) === 120) i += 2;
  if (i >= b) return null;
  let start = -1;
  let upper = false;
  for (let k = i; k < b; k++) {
    const c = C.s.charCodeAt(k);
    if (c === 48) continue;
    if ((c >= 49 && c <= 57) || (c >= 97 && c <= 102)) {
      if (start === -1) start = k;
    } else if (c >= 65 && c <= 70) {
      if (start === -1) start = k;
      upper = true;
    } else {
      return null;
    }
  }
  if (start === -1) return '0';
  const out = C.s.slice(start, b);
  return upper ? out.toLowerCase() : out;
}

/** Current token as normalized hex (see hexRange). */
function hex(): string | null {
  return hexRange(C.ts, C.te);
}

/** Current token as a hex number (exact below 2^53), NaN when not hex. */
function hexNumTok(): number {
  const h = hexRange(C.ts, C.te);
  return h === null ? Number.NaN : Number.parseInt(h, 16);
}

/** Unsigned decimal in C.s[a, b), NaN when empty, not all digits, or longer than 15 digits (beyond 2^53). */
function decRange(a: number, b: number): number {
  if (b <= a || b - a > 15) return Number.NaN;
  let v = 0;
  for (let k = a; k < b; k++) {
    const c = C.s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

function dec(): number {
  return decRange(C.ts, C.te);
}

/** Is `t` a `0x…` hex literal? */
function isHexLiteral(t: string): boolean {
  if (t.length < 3 || t.charCodeAt(0) !== 48 || (t.charCodeAt(1) | 0x20) !== 120) return false;
  for (let k = 2; k < t.length; k++) {
    const c = t.charCodeAt(k) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Event construction

function bad(ctx: PayloadContext): void {
  ctx.diag.add('bad_payload', ctx.source, ctx.line);
}

function kvmOther(name: string, h: EventHeader): TraceEvent {
  return {
    kind: 'kvm_other',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    name,
  };
}

const VMX_FLAG_NAMES: ReadonlySet<string> = new Set(VMX_EXIT_FLAGS.map((f) => f.name));

const PLUGIN_UNKNOWN = 'UNKNOWN (';

/** Plugin `UNKNOWN (n)` → n, kernel fallback `0x4a` → 0x4a; else null. */
function numericReason(raw: string): number | null {
  if (raw.startsWith(PLUGIN_UNKNOWN) && raw.endsWith(')')) {
    const digits = raw.slice(PLUGIN_UNKNOWN.length, -1);
    let v = 0;
    if (digits.length === 0 || digits.length > 15) return null;
    for (let k = 0; k < digits.length; k++) {
      const c = digits.charCodeAt(k) - 48;
      if (c < 0 || c > 9) return null;
      v = v * 10 + c;
    }
    return v;
  }
  if (isHexLiteral(raw)) return Number.parseInt(raw.slice(2), 16);
  return null;
}

/** SVM_EXIT_ERR as an unsigned 32-bit field: the plugin prints it as `UNKNOWN (4294967295)`. */
const U32_ALL_ONES = 0xffffffff;

export interface ReasonInfo {
  isa: Isa;
  code: number | null;
  /** In some table (VMX or SVM; both readings for ISA-ambiguous names and bare numbers). */
  known: boolean;
  /**
   * The printed reason, one string object for all exits that print it: the pipeline's caches compare reasons with
   * `===`, which for two equal strings that are different objects is a runtime call (~1.5 % of a run in a profile,
   * when the first exits' text-path strings sat in those caches).
   */
  raw: string;
}

/** Per printed reason: a few dozen distinct names per trace; bounded against garbage. */
const REASON_CACHE_MAX = 4096;
const reasonCache = new Map<string, ReasonInfo>();

/** Exported for the byte-level decoders (fast-payloads.ts), which must give the same isa/exitCode/known. */
export function reasonInfo(raw: string): ReasonInfo {
  const hit = reasonCache.get(raw);
  if (hit !== undefined) return hit;
  const code = numericReason(raw);
  const hint = isaHintOfReason(raw);
  let known: boolean;
  if (code !== null) {
    known = canonicalizeReason(raw, 'vmx', code).known || canonicalizeReason(raw, 'svm', code).known;
  } else {
    known = raw !== 'UNKNOWN-ISA' && canonicalizeReason(raw, hint, null).known;
  }
  const info: ReasonInfo = { isa: hint, code, known, raw };
  if (reasonCache.size >= REASON_CACHE_MAX) reasonCache.clear();
  reasonCache.set(raw, info);
  return info;
}

function newExit(h: EventHeader): KvmExit {
  return {
    kind: 'exit',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    isa: 'unknown',
    rawReason: '',
    exitCode: null,
    flags: [],
    vcpu: -1,
    rip: '',
    info1: '',
    info2: '',
    intrInfo: '',
    errorCode: '',
  };
}

/**
 * Reads a printed exit reason: the current token onwards up to (not including) the token `stop1`/`stop2`. The name
 * may hold spaces (SVM `PF excp`, plugin `UNKNOWN (74)`); VMX flag tokens follow it (`FAILED_VMENTRY`, the kernel's
 * leftover-bit hex `0x8000000`). Leaves the cursor on the stop token (or at the end). Returns the reason.
 */
function scanReason(e: KvmExit | null, stop1: string, stop2: string): string {
  if (C.te === C.ts || is(stop1) || is(stop2)) return '';
  const a = C.ts;
  let nameEnd = C.te;
  let flags: string[] | null = null;
  while (next() && !is(stop1) && !is(stop2)) {
    const t = tok();
    if (VMX_FLAG_NAMES.has(t) || isHexLiteral(t)) {
      if (e !== null) {
        const f = normalizeVmxFlag(t);
        if (flags === null) flags = f.slice();
        else for (const x of f) flags.push(x);
      }
    } else if (flags === null) {
      nameEnd = C.te; // part of the name
    }
  }
  if (e !== null && flags !== null) e.flags = flags;
  const raw = C.s.slice(a, nameEnd);
  // Collapse inner runs of blanks (hand-edited text) so the name compares equal to the table's.
  return raw.indexOf('  ') === -1 && raw.indexOf('\t') === -1 ? raw : raw.split(/\s+/).join(' ');
}

/**
 * Parses the x86 kvm_exit text (from the start of C.s) into `e`: `[vcpu N ]reason NAME[ FLAGS] rip 0xRIP[ func]
 * [info A B | info1 0x… info2 0x… intr_info 0x… error_code 0x…[ requests 0x…]]`. False when malformed.
 * Shared by kvm_exit and the ≥5.10 kvm_nested_vmexit, which prints the same text.
 */
function parseX86ExitBody(e: KvmExit): boolean {
  let ok = true;
  next();
  if (is('vcpu')) {
    next();
    const v = dec();
    if (Number.isNaN(v)) ok = false;
    else e.vcpu = v;
    next();
  }
  if (!is('reason')) return false;
  next();
  const raw = scanReason(e, 'rip', 'rip');
  e.rawReason = raw;
  if (raw === '') {
    ok = false;
  } else {
    const info = reasonInfo(raw);
    e.rawReason = info.raw;
    e.isa = info.isa;
    if (info.code !== null) {
      e.exitCode = info.code;
      // A plugin `UNKNOWN (n)` carries the raw VMX value with flags unmasked (SVM_EXIT_ERR excepted); anything above
      // the 16-bit basic-reason field has flag bits set.
      if (info.code > 0xffff && info.code !== U32_ALL_ONES && e.flags.length === 0) e.flags = vmxFlagsOf(info.code);
    }
  }
  if (!is('rip')) {
    // Truncated or garbled: keep only the first word as the reason rather than the whole tail.
    const sp = raw.indexOf(' ');
    if (sp !== -1) {
      e.rawReason = raw.slice(0, sp);
      e.isa = isaHintOfReason(e.rawReason);
    }
    return false;
  }
  next();
  const rip = hex();
  if (rip === null) ok = false;
  else e.rip = rip;
  let sawKey = false;
  while (next()) {
    if (is('info')) {
      sawKey = true;
      next();
      const a = hex();
      next();
      const b = hex();
      if (a === null || b === null) ok = false;
      e.info1 = a ?? '';
      e.info2 = b ?? '';
      continue;
    }
    // is() compares lengths first: only same-length keywords reach startsWith.
    const isInfo1 = is('info1');
    const isInfo2 = is('info2');
    const isIntr = is('intr_info');
    const isErr = is('error_code');
    const isReq = is('requests');
    if (!(isInfo1 || isInfo2 || isIntr || isErr || isReq)) {
      // Plugin: one symbol token (`native_safe_halt+0x6`) may follow the rip; anything else is malformed.
      if (sawKey) ok = false;
      sawKey = true;
      continue;
    }
    sawKey = true;
    next();
    const v = hex();
    if (v === null) ok = false;
    else if (isInfo1) e.info1 = v;
    else if (isInfo2) e.info2 = v;
    else if (isIntr) e.intrInfo = v;
    else if (isErr) e.errorCode = v;
  }
  return ok;
}

/** kvm_arm_exception_type names (arch/arm64/include/asm/kvm_asm.h; `ILLEGAL` from perf's copy, `EL1_SERROR` per the doc). */
const ARM64_EXCEPTION_TYPES: ReadonlySet<string> = new Set([
  'IRQ',
  'SERROR',
  'EL1_SERROR',
  'TRAP',
  'ILLEGAL',
  'HYP_GONE',
]);

const ARM_PC = 'PC: ';
const ARM_HSR_EC = 'HSR_EC: ';
const ARM_VCPU = 'vcpu: ';

/**
 * arm64 `TYPE: HSR_EC: 0xEEEE (NAME), PC: 0x…` (and the unmerged `TYPE: vcpu: N HSR_EC: …` variant) and the
 * oldest `PC: 0x…`. rawReason = the EC name for TRAP exits, else the exception type (`IRQ`: EC is 0 = UNKNOWN there).
 */
function parseArm64Exit(p: string, e: KvmExit): boolean {
  e.isa = 'arm64';
  const pcAt = p.lastIndexOf(ARM_PC);
  if (pcAt === -1) return false;
  begin(p, pcAt + ARM_PC.length);
  next();
  const pc = hex();
  if (pc === null || next()) return false;
  e.rip = pc;
  if (pcAt === 0) return true; // oldest form: PC only
  const hsr = p.indexOf(ARM_HSR_EC);
  const colon = p.indexOf(':');
  if (hsr === -1 || colon <= 0) return false;
  const type = p.slice(0, colon).trim();
  const vAt = p.indexOf(ARM_VCPU);
  if (vAt !== -1 && vAt < hsr) {
    begin(p, vAt + ARM_VCPU.length);
    next();
    const v = dec();
    if (!Number.isNaN(v)) e.vcpu = v;
  }
  const open = p.indexOf(' (', hsr);
  const close = open === -1 ? -1 : p.indexOf(')', open);
  if (close === -1) return false;
  begin(p, hsr + ARM_HSR_EC.length);
  next();
  const ec = hexNumTok();
  if (Number.isNaN(ec)) return false;
  let ecName = p.slice(open + 2, close);
  // Classes outside kvm_arm_exception_class print as hex: name them from esr.h.
  if (ecName.startsWith('0x')) ecName = arm64EcName(ec) ?? ecName;
  e.arm64 = { type, ecName, ec };
  e.exitCode = ec;
  e.rawReason = type === 'TRAP' ? ecName : type;
  return true;
}

const MIPS_PC = ']PC: ';

function buildExit(p: string, h: EventHeader, ctx: PayloadContext): KvmExit {
  const e = newExit(h);
  let ok: boolean;
  if (p.startsWith('vcpu ') || p.startsWith('reason ')) {
    begin(p);
    ok = parseX86ExitBody(e);
  } else if (p.indexOf('HSR_EC:') !== -1 || p.startsWith('PC: ')) {
    ok = parseArm64Exit(p, e);
  } else if (p.charCodeAt(0) === 91 /* [ */ && p.indexOf(MIPS_PC) !== -1) {
    // MIPS `[%s]PC: 0x%08lx` (arch/mips/kvm/trace.h): reason names are MIPS-specific, no table here.
    const close = p.indexOf(MIPS_PC);
    e.rawReason = p.slice(1, close);
    begin(p, close + MIPS_PC.length);
    next();
    const pc = hex();
    ok = pc !== null && !next();
    if (pc !== null) e.rip = pc;
    if (!ok) bad(ctx);
    return e;
  } else {
    ok = false;
  }
  if (!ok) {
    bad(ctx);
  } else if (e.rawReason !== '') {
    const known =
      e.isa === 'arm64'
        ? ARM64_EXCEPTION_TYPES.has(e.rawReason) || arm64EcCode(e.rawReason) !== null
        : reasonInfo(e.rawReason).known;
    if (!known) ctx.diag.add('unknown_exit_reason', ctx.source, ctx.line);
  }
  return e;
}

const IMMEDIATE_EXIT = '[immediate exit]';

function buildEntry(p: string, h: EventHeader, ctx: PayloadContext): KvmEntry {
  const e: KvmEntry = {
    kind: 'entry',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    vcpu: -1,
    rip: '',
    immediateExit: false,
  };
  if (p.endsWith(IMMEDIATE_EXIT)) {
    e.immediateExit = true;
    p = p.slice(0, p.length - IMMEDIATE_EXIT.length);
  }
  let ok = true;
  begin(p);
  next();
  if (is('vcpu') || is('vcpu:')) {
    // `vcpu 0`, `vcpu 0, rip 0x…`, plugin `vcpu 0 rip 0x…[ func+0x…]`, 6.14 `… intr_info 0x… error_code 0x…`,
    // unmerged arm64 `vcpu: 0 PC: 0x…`.
    next();
    const end = C.te > C.ts && C.s.charCodeAt(C.te - 1) === 44 /* , */ ? C.te - 1 : C.te;
    const v = decRange(C.ts, end);
    if (Number.isNaN(v)) ok = false;
    else e.vcpu = v;
    let afterRip = false;
    while (next()) {
      const isRip = is('rip') || is('PC:');
      if (isRip || is('intr_info') || is('error_code')) {
        next();
        const val = hex();
        if (val === null) ok = false;
        else if (isRip) e.rip = val;
        afterRip = isRip;
      } else if (afterRip) {
        afterRip = false; // plugin: one symbol token (`native_safe_halt+0x6`) after the rip
      } else {
        ok = false;
      }
    }
  } else if (is('PC:')) {
    next();
    const pc = hex();
    if (pc === null || next()) ok = false;
    else e.rip = pc;
  } else {
    ok = false;
  }
  if (!ok) bad(ctx);
  return e;
}

function buildPio(p: string, h: EventHeader, ctx: PayloadContext, name: string): TraceEvent {
  // pio_%s at 0x%x size %d count %d[ val 0x%x[ (...)]]   (2.6.32: no val)
  begin(p);
  next();
  const write = is('pio_write');
  let ok = write || is('pio_read');
  ok = nextIs('at') && ok;
  next();
  const port = hexNumTok();
  ok = nextIs('size') && ok;
  next();
  const size = dec();
  ok = nextIs('count') && ok;
  next();
  const count = dec();
  let val = '';
  if (next()) {
    if (!is('val')) ok = false;
    next();
    const v = hex();
    if (v === null) ok = false;
    else val = v;
    if (next() && (!is('(...)') || next())) ok = false;
  }
  if (!ok || Number.isNaN(port) || Number.isNaN(size) || Number.isNaN(count)) {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'pio',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    write,
    port,
    size,
    count,
    val,
  };
}

function buildMmio(p: string, h: EventHeader, ctx: PayloadContext, name: string): TraceEvent {
  // mmio %s len %u gpa 0x%llx val 0x%llx
  begin(p);
  let ok = nextIs('mmio');
  next();
  const op: MmioOp | null = is('write') ? 'write' : is('read') ? 'read' : is('unsatisfied-read') ? 'unsatisfied-read' : null;
  ok = nextIs('len') && ok;
  next();
  const len = dec();
  ok = nextIs('gpa') && ok;
  next();
  const gpa = hexNumTok();
  let val = '';
  if (next()) {
    if (!is('val')) ok = false;
    next();
    const v = hex();
    if (v === null || next()) ok = false;
    else val = v;
  }
  if (!ok || op === null || Number.isNaN(len) || Number.isNaN(gpa)) {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'mmio',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    op,
    len,
    gpa,
    val,
  };
}

function buildFastMmio(p: string, h: EventHeader, ctx: PayloadContext, name: string): TraceEvent {
  // fast mmio at gpa 0x%llx
  begin(p);
  const ok = nextIs('fast') && nextIs('mmio') && nextIs('at') && nextIs('gpa') && next();
  const gpa = ok ? hexNumTok() : Number.NaN;
  if (!ok || Number.isNaN(gpa) || next()) {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'fast_mmio',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    gpa,
  };
}

function buildHypercall(
  p: string,
  h: EventHeader,
  ctx: PayloadContext,
  name: string,
  flavor: 'kvm' | 'hyperv' | 'xen',
): TraceEvent {
  // kvm `nr 0x%lx a0 0x%lx …`; hyperv `code 0x%x fast|slow …`; xen `cpl %d nr 0x%lx a0 …`
  begin(p);
  next();
  let nr: string | null = null;
  if (flavor === 'kvm' && is('nr')) {
    next();
    nr = hex();
  } else if (flavor === 'hyperv' && is('code')) {
    next();
    nr = hex();
  } else if (flavor === 'xen' && is('cpl')) {
    next();
    if (!Number.isNaN(dec()) && nextIs('nr')) {
      next();
      nr = hex();
    }
  }
  if (nr === null) {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'hypercall',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    flavor,
    nr,
  };
}

function buildUserspaceExit(p: string, h: EventHeader, ctx: PayloadContext, name: string): TraceEvent {
  // reason %s (%d): a KVM_EXIT_* name, `restart` (-EINTR), `error` (other errno), or hex for names not in the table.
  begin(p);
  let ok = nextIs('reason') && next();
  const reason = ok ? tok() : '';
  let code = Number.NaN;
  if (ok && next() && C.te - C.ts >= 3 && C.s.charCodeAt(C.ts) === 40 /* ( */ && C.s.charCodeAt(C.te - 1) === 41 /* ) */) {
    const neg = C.s.charCodeAt(C.ts + 1) === 45; /* - */
    code = decRange(C.ts + (neg ? 2 : 1), C.te - 1);
    if (neg) code = -code;
  }
  if (next()) ok = false;
  if (!ok || Number.isNaN(code)) {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'userspace_exit',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    reason,
    code,
  };
}

function buildMsr(p: string, h: EventHeader, ctx: PayloadContext, name: string): TraceEvent {
  // msr_%s %x = 0x%llx[ (#GP)]   (2.6.32: 0x%lx, no #GP)
  begin(p);
  next();
  const write = is('msr_write');
  let ok = write || is('msr_read');
  next();
  const index = hexNumTok();
  ok = nextIs('=') && ok;
  next();
  const val = hex();
  let gp = false;
  if (next()) {
    gp = is('(#GP)');
    if (!gp || next()) ok = false;
  }
  if (!ok || Number.isNaN(index) || val === null) {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'msr',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    write,
    index,
    val,
    gp,
  };
}

function buildCpuid(p: string, h: EventHeader, ctx: PayloadContext, name: string): TraceEvent {
  // func %x[ idx %x] rax %lx rbx %lx rcx %lx rdx %lx[, cpuid entry %s[, used max basic]]
  begin(p);
  let ok = nextIs('func');
  next();
  const func = hexNumTok();
  let idx = -1;
  next();
  if (is('idx')) {
    next();
    idx = hexNumTok();
    next();
  }
  for (const reg of ['rax', 'rbx', 'rcx', 'rdx']) {
    if (!is(reg)) ok = false;
    next();
    // rdx's value carries the `, cpuid entry …` comma in the newer formats.
    const end = reg === 'rdx' && C.te > C.ts && C.s.charCodeAt(C.te - 1) === 44 /* , */ ? C.te - 1 : C.te;
    if (hexRange(C.ts, end) === null) ok = false;
    if (reg !== 'rdx') next();
  }
  if (!ok || Number.isNaN(func) || Number.isNaN(idx)) {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'cpuid',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    func,
    idx,
  };
}

/** kvm_trace_symbol_emul_flags names (trace.h) and the kernel / plugin failure suffixes. */
const EMUL_MODES: ReadonlySet<string> = new Set(['real', 'vm16', 'prot16', 'prot32', 'prot64']);
const EMUL_FAILED = ' failed';

function buildEmulateInsn(p: string, h: EventHeader, ctx: PayloadContext, name: string): TraceEvent {
  // kernel `%x:%llx:%s (%s)%s` (` failed`); plugin `%llx:%llx[ func]: %s[ FAIL]`
  const c1 = p.indexOf(':');
  const c2 = c1 === -1 ? -1 : p.indexOf(':', c1 + 1);
  C.s = p;
  let ok = c1 > 0 && c2 !== -1 && hexRange(0, c1) !== null;
  if (ok) {
    const sp = p.indexOf(' ', c1 + 1);
    ok = hexRange(c1 + 1, sp !== -1 && sp < c2 ? sp : c2) !== null;
  }
  if (!ok) {
    bad(ctx);
    return kvmOther(name, h);
  }
  let insn = p.slice(c2 + 1);
  let failed = false;
  // Kernel form: ends with ` (mode)` or ` (mode) failed`; mode is a name or a `__print_symbolic` hex fallback.
  let body = insn;
  if (body.endsWith(EMUL_FAILED)) body = body.slice(0, -EMUL_FAILED.length);
  let kernel = false;
  if (body.endsWith(')')) {
    const open = body.lastIndexOf('(');
    const mode = open === -1 ? '' : body.slice(open + 1, -1);
    if (open !== -1 && (open === 0 || body.charCodeAt(open - 1) === 32) && (EMUL_MODES.has(mode) || isHexLiteral(mode))) {
      kernel = true;
      failed = body.length !== insn.length;
      insn = body.slice(0, open).trim();
    }
  }
  if (!kernel) {
    insn = insn.trim();
    if (insn === 'FAIL' || insn.endsWith(' FAIL')) {
      failed = true;
      insn = insn.slice(0, -'FAIL'.length).trim();
    }
  }
  return {
    kind: 'emulate_insn',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    insn,
    failed,
  };
}

function buildNested(p: string, h: EventHeader, ctx: PayloadContext, name: string, inject: boolean): TraceEvent {
  // Plugin on ≥5.10 kernels: `CAN'T FIND FIELD "rip"<CANT FIND FIELD exit_code>` glued to the kernel text.
  if (p.startsWith("CAN'T FIND FIELD")) {
    const gt = p.lastIndexOf('>');
    const q = gt !== -1 ? gt : p.indexOf('"', p.indexOf('"') + 1);
    p = p.slice(q + 1).trim();
  }
  let raw = '';
  begin(p);
  next();
  if (is('vcpu')) {
    // ≥5.10 kvm_nested_vmexit: the kvm_exit text.
    const e = newExit(h);
    begin(p);
    if (parseX86ExitBody(e)) raw = e.rawReason;
  } else {
    // ≤5.9 kernel `rip: 0x… reason: X ext_inf1: …`, inject `reason: X ext_inf1: …`;
    // plugin `rip 7fa9… reason X info1 …`, inject `reason X info1 …`.
    let ok = true;
    if (is('rip:') || is('rip')) {
      next();
      ok = hex() !== null;
      next();
    }
    if (ok && (is('reason:') || is('reason'))) {
      next();
      raw = scanReason(null, 'ext_inf1:', 'info1');
      if (C.te === C.ts) raw = ''; // no ext_inf1/info1 after the reason: truncated
    }
  }
  if (raw === '') {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'nested_vmexit',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    inject,
    rawReason: raw,
  };
}

function buildPageFault(p: string, h: EventHeader, ctx: PayloadContext, name: string): TraceEvent {
  // `address %lx error_code %x` | `vcpu %u rip 0x%lx address 0x%lx error_code %x` | `… 0x%016llx error_code 0x%llx`
  begin(p);
  next();
  let ok = true;
  if (is('vcpu')) {
    next();
    ok = !Number.isNaN(dec()) && nextIs('rip') && next() && hex() !== null;
    next();
  }
  let address: string | null = null;
  let errorCode: string | null = null;
  if (ok && is('address')) {
    next();
    address = hex();
    if (nextIs('error_code')) {
      next();
      errorCode = hex();
    }
  }
  if (!ok || address === null || errorCode === null || next()) {
    bad(ctx);
    return kvmOther(name, h);
  }
  return {
    kind: 'page_fault',
    ts: h.ts,
    cpu: h.cpu,
    tid: h.tid,
    comm: h.comm,
    instance: h.instance,
    source: h.source,
    address,
    errorCode,
  };
}

/** KVM events (x86 `kvm` system, arm vgic) whose names lack the `kvm_` prefix. */
const KVM_UNPREFIXED: ReadonlySet<string> = new Set(['vcpu_match_mmio', 'vgic_update_irq_pending']);

/**
 * Turn an event name and its payload into a typed event. `name` is bare (no `kvm:` system prefix); `payload` is the
 * text after `name:`, trimmed. Malformed payloads of typed events are counted as `bad_payload` (see the header).
 */
export function buildEvent(name: string, payload: string, h: EventHeader, ctx: PayloadContext): TraceEvent {
  switch (name) {
    case 'kvm_exit':
      return buildExit(payload, h, ctx);
    case 'kvm_entry':
      return buildEntry(payload, h, ctx);
    case 'kvm_pio':
      return buildPio(payload, h, ctx, name);
    case 'kvm_mmio':
      return buildMmio(payload, h, ctx, name);
    case 'kvm_fast_mmio':
      return buildFastMmio(payload, h, ctx, name);
    case 'kvm_hypercall':
      return buildHypercall(payload, h, ctx, name, 'kvm');
    case 'kvm_hv_hypercall':
      return buildHypercall(payload, h, ctx, name, 'hyperv');
    case 'kvm_xen_hypercall':
      return buildHypercall(payload, h, ctx, name, 'xen');
    case 'kvm_userspace_exit':
      return buildUserspaceExit(payload, h, ctx, name);
    case 'kvm_msr':
      return buildMsr(payload, h, ctx, name);
    case 'kvm_cpuid':
      return buildCpuid(payload, h, ctx, name);
    case 'kvm_emulate_insn':
      return buildEmulateInsn(payload, h, ctx, name);
    case 'kvm_nested_vmexit':
      return buildNested(payload, h, ctx, name, false);
    case 'kvm_nested_vmexit_inject':
      return buildNested(payload, h, ctx, name, true);
    case 'kvm_page_fault':
      return buildPageFault(payload, h, ctx, name);
    default:
      if (name.startsWith('kvm_') || KVM_UNPREFIXED.has(name)) return kvmOther(name, h);
      return { kind: 'other', ts: h.ts, cpu: h.cpu, tid: h.tid, comm: h.comm, instance: h.instance, source: h.source, name };
  }
}
