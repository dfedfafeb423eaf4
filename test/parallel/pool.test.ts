/**
 * The CLI's guess whether `analyze` will split one large file (src/parallel/pool.ts): it starts worker threads
 * before anything else loads only when the run will use them.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PARALLEL_MIN_BYTES, workersToPrewarm } from '../../src/parallel/pool.js';
import { TRACE_DAT_MAGIC } from '../../src/parse/input.js';

const dir = mkdtempSync(join(tmpdir(), 'exitlens-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sparse file of `size` bytes starting with `head`. */
function file(name: string, size: number, head: Uint8Array = Buffer.from('CPU 0/KVM-1 [000] 1.000001: kvm_exit: reason HLT\n')): string {
  const p = join(dir, name);
  const fd = openSync(p, 'w');
  writeSync(fd, head);
  ftruncateSync(fd, size);
  closeSync(fd);
  return p;
}

describe('workersToPrewarm', () => {
  const big = file('big.txt', PARALLEL_MIN_BYTES);
  const small = file('small.txt', PARALLEL_MIN_BYTES - 1);

  it('one large text file: threads − 1 workers', () => {
    expect(workersToPrewarm([big, '--threads', '2'])).toBe(1);
    expect(workersToPrewarm(['--json', '--threads=4', big])).toBe(3);
    // Option values that name no file do not count.
    expect(workersToPrewarm(['--model', 'haskins-2009', big, '--top', '5', '--threads', '3'])).toBe(2);
  });

  it('no workers when the run will not split', () => {
    expect(workersToPrewarm([small, '--threads', '2'])).toBe(0);
    expect(workersToPrewarm([big, '--threads', '1'])).toBe(0);
    expect(workersToPrewarm([big, small, '--threads', '2'])).toBe(0);
    expect(workersToPrewarm(['-', '--threads', '2'])).toBe(0);
    expect(workersToPrewarm([big, '--vcpu', '0', '--threads', '2'])).toBe(0);
    expect(workersToPrewarm([big, '--pid=7', '--threads', '2'])).toBe(0);
    expect(workersToPrewarm([join(dir, 'missing.txt'), '--threads', '2'])).toBe(0);
    expect(workersToPrewarm([dir, '--threads', '2'])).toBe(0);
    expect(workersToPrewarm([file('big.gz', PARALLEL_MIN_BYTES, Buffer.from([0x1f, 0x8b, 8, 0])), '--threads', '2'])).toBe(0);
    expect(workersToPrewarm([file('trace.dat', PARALLEL_MIN_BYTES, TRACE_DAT_MAGIC), '--threads', '2'])).toBe(0);
  });

  it('an existing file named by an option makes the guess say no (it cannot tell which is the trace)', () => {
    const html = join(dir, 'report.html');
    writeFileSync(html, '<html>');
    expect(workersToPrewarm([big, '--html', html, '--threads', '2'])).toBe(0);
  });
});
