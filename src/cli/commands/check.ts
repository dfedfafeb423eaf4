/**
 * `exitlens check <expectation files or globs..>`: run expectation files (src/check/) against the traces they name.
 * Prints one line per failed assertion (observed vs expected); exit 0 all passed, 1 an assertion failed, 2 an
 * input was unusable. `--update` writes the observed values into the files; `--junit FILE` writes JUnit XML; in
 * GitHub Actions failures become annotations and a summary goes to $GITHUB_STEP_SUMMARY.
 * The checker (Ajv, yaml, the pipeline) loads inside the handler (CLI start-up, issue #5).
 */
import { writeFile } from 'node:fs/promises';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_TOLERANCE } from '../../check/schema.js';
import { EXIT_USAGE, out, reportError } from '../common.js';

interface Args {
  files: string[];
  update: boolean;
  junit?: string;
  tolerance?: number;
}

export const checkCommand: CommandModule<object, Args> = {
  command: 'check <files..>',
  describe: 'check traces against expectation files (JSON/YAML); exit 1 when an assertion fails',
  builder: (y: Argv) =>
    y
      .positional('files', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'expectation files, directories or globs (quoted globs are expanded: "fixtures/expect/*.json")',
      })
      .option('update', {
        alias: 'u',
        type: 'boolean',
        default: false,
        describe: 'write the observed values into the files (snapshot style): exact counts, latency bounds with a tolerance',
      })
      .option('tolerance', {
        type: 'number',
        describe: `relative tolerance of latency bounds written by --update (default: the file's "tolerance", else ${DEFAULT_TOLERANCE})`,
      })
      .option('junit', { type: 'string', describe: 'also write the results as JUnit XML to this file' })
      .example('$0 check fixtures/expect/', 'every *.json/*.yaml expectation file in the folder')
      .example('$0 check --update expect/boot.json', 'accept what the trace now shows as the new baseline')
      .example('$0 check --junit results.xml "expect/**/*.yaml"', 'JUnit XML for the CI test report') as unknown as Argv<Args>,
  handler: async (a: ArgumentsCamelCase<Args>) => {
    try {
      if (a.tolerance !== undefined && !(a.tolerance >= 0 && a.tolerance <= 10)) {
        process.stderr.write('exitlens: --tolerance takes a relative tolerance between 0 and 10 (0.25 = ±25 %)\n');
        process.exitCode = EXIT_USAGE;
        return;
      }
      if (a.tolerance !== undefined && !a.update) {
        process.stderr.write('exitlens: --tolerance only applies with --update (it sets the bounds written)\n');
        process.exitCode = EXIT_USAGE;
        return;
      }
      const [{ writeGithub }, { renderJunit }, { renderFileResult, summaryLine }, { exitCodeOf, runCheck }, { terminalStyle }] =
        await Promise.all([
          import('../../check/github.js'),
          import('../../check/junit.js'),
          import('../../check/report.js'),
          import('../../check/run.js'),
          import('../style.js'),
        ]);
      const st = terminalStyle(process.stdout);
      const pending: Promise<void>[] = [];
      const run = await runCheck(a.files, {
        update: a.update,
        ...(a.tolerance !== undefined ? { tolerance: a.tolerance } : {}),
        onFile: (r) => pending.push(out(renderFileResult(r, st))),
      });
      await Promise.all(pending);
      if (run.unmatched.length > 0) await out(run.unmatched.map((u) => `${st.red('ERROR')} ${u}: no expectation files match\n`).join(''));
      if (a.junit !== undefined) await writeFile(a.junit, renderJunit(run), 'utf8');
      const gh = await writeGithub(run);
      if (gh.length > 0) await out(`${gh.join('\n')}\n`);
      await out(`${summaryLine(run)}\n`);
      process.exitCode = exitCodeOf(run);
    } catch (e) {
      process.exitCode = reportError(e);
    }
  },
};
