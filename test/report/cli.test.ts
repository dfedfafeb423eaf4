/** `exitlens analyze --html FILE / --markdown / --quiet` as a user runs them (the built dist/ CLI). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture } from '../helpers.js';

const lab = fixture('lab', 'tracefs-user-kvm-pvm.txt.gz');
const dir = mkdtempSync(join(tmpdir(), 'exitlens-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analyze report flags', () => {
  it('--html writes the page, says where on stderr, and still prints the terminal report', () => {
    const out = join(dir, 'lab.html');
    const r = cli(['analyze', lab, '--html', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pio-vmm\s+2025/);
    expect(r.stderr).toMatch(new RegExp(`^exitlens: wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(1\\.\\d MiB\\); open it in any browser\\n$`));
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('data-chart="timeline"');
  });

  it('--quiet: nothing on stderr; --json carries the timeline section', () => {
    const out = join(dir, 'quiet.html');
    const r = cli(['analyze', '--quiet', '--json', '--html', out, lab]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(out)).toBe(true);
    const a = JSON.parse(r.stdout);
    expect(a.timeline.classes.map((c: { mechanism: string }) => c.mechanism).sort()).toEqual(
      a.mechanisms.map((m: { mechanism: string }) => m.mechanism).sort(),
    );
    expect(a.timeline.binNs).toBeGreaterThan(0);
  });

  it('--markdown prints the summary; with --json it is a usage error', () => {
    const r = cli(['analyze', '--markdown', lab]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\| pio-vmm \| 2025 \| 28\.8% \| 2024 \|/m);
    expect(r.stdout.split('\n').every((l) => l.length < 100)).toBe(true);
    const both = cli(['analyze', '--markdown', '--json', lab]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--json, --csv and --markdown/);
  });

  it('--html into a missing directory: exit 2 with the path', () => {
    const r = cli(['analyze', '--html', '/nonexistent/dir/report.html', lab]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/dir\/report\.html/);
  });
});
