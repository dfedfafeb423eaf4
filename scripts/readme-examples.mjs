#!/usr/bin/env node
/**
 * Regenerates the example outputs in README.md between `<!-- BEGIN name -->` / `<!-- END name -->` markers by
 * running the built CLI, so the README shows real, current output. Blocks whose input is absent (the ../shared
 * captures in a user's clone) are left as they are.
 *   npm run build && node scripts/readme-examples.mjs
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'bin', 'exitlens.js');
const LARGE = join(ROOT, '..', 'shared', 'fixtures', 'large');

/** name → [input that must exist, argv, lines to keep (0 = all)] */
const BLOCKS = {
  'npm-start': [join(ROOT, 'fixtures/lab/tracefs-user-kvm-pvm.txt.gz'), ['analyze', 'fixtures/lab/tracefs-user-kvm-pvm.txt.gz'], 0],
  large: [join(LARGE, '01-hip24-thesis-host-2vms-110k.report-derived.txt'), ['analyze', '--top', '8', join(LARGE, '01-hip24-thesis-host-2vms-110k.report-derived.txt')], 0],
};

let readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
for (const [name, [input, argv, keep]] of Object.entries(BLOCKS)) {
  const re = new RegExp(`(<!-- BEGIN ${name} -->\\n)[\\s\\S]*?(<!-- END ${name} -->)`);
  if (!re.test(readme) || !existsSync(input)) continue;
  let out = execFileSync(process.execPath, [CLI, ...argv], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  out = out.replaceAll(`${LARGE}/`, '');
  const lines = out.trimEnd().split('\n');
  const body = (keep > 0 ? lines.slice(0, keep) : lines).join('\n');
  readme = readme.replace(re, (_m, a, b) => `${a}\`\`\`\n${body}\n\`\`\`\n${b}`);
}
writeFileSync(join(ROOT, 'README.md'), readme);
