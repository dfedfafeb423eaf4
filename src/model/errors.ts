/**
 * Fatal conditions: one error class per condition on a common base (as in ky), with structured fields and a
 * neutral message. The CLI maps every `ExitlensError` to exit code 2 and adds advice.
 */
export class ExitlensError extends Error {
  override name = 'ExitlensError';
}

/** The input is not any trace format exitlens reads. */
export class UnknownFormatError extends ExitlensError {
  override name = 'UnknownFormatError';
  constructor(
    readonly file: string,
    readonly sample: string,
    readonly reason: string,
  ) {
    super(
      `${file}: not a KVM trace exitlens can read (${reason}). Expected text from trace-cmd report, ` +
        `/sys/kernel/tracing/trace or trace_pipe, or perf script, e.g. ` +
        `"qemu-system-x86-1234 [003] 1234.567890: kvm_exit: reason IO_INSTRUCTION rip 0x..."` +
        (sample ? `; first line was: ${JSON.stringify(sample.slice(0, 100))}` : ''),
    );
  }
}

/** A file could not be opened or read. */
export class InputError extends ExitlensError {
  override name = 'InputError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Bad command-line usage that yargs could not catch (conflicting options, bad values). */
export class UsageError extends ExitlensError {
  override name = 'UsageError';
}

/** A structured file (cost model, expectation file) has an error at a position. */
export class FileFormatError extends ExitlensError {
  override name = 'FileFormatError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly detail: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${detail}`);
  }
}
