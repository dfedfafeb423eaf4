/**
 * `exitlens diff <before> <after>`: per mechanism and exit reason, the change in count, rate, median and p99, with
 * a Mann–Whitney U test on the latency histograms (src/diff/). Inputs are traces or saved `analyze --json` output.
 * `--fail-on-regression PERCENT` exits 1 when a row got significantly slower by more than PERCENT (median).
 * The loader (the pipeline) and the renderers load inside the handler (CLI start-up, issue #5).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_ALPHA } from '../../diff/compare.js';
import { UsageError } from '../../model/errors.js';
import { analyzeOptionsOf, EXIT_CHECK_FAILED, EXIT_OK, out, reportError, withInputOptions, type InputArgs } from '../common.js';

interface Args extends InputArgs {
  before: string;
  after: string;
  json: boolean;
  'fail-on-regression'?: number;
  alpha: number;
  top: number;
}

/** True when an analysis option other than the defaults was given (they do not apply to saved analyses). */
function optionsGiven(a: InputArgs): boolean {
  return (
    a.format !== 'auto' ||
    [a.vcpu, a.pid, a.since, a.until, a.isa, a['tsc-ghz']].some((v) => v !== undefined)
  );
}

export const diffCommand: CommandModule<object, Args> = {
  command: 'diff <before> <after>',
  describe: 'compare two traces (or saved --json analyses): counts, rates, median and p99 with a significance test',
  builder: (y: Argv) =>
    withInputOptions(y)
      .positional('before', { type: 'string', demandOption: true, describe: 'baseline trace or analysis JSON' })
      .positional('after', { type: 'string', demandOption: true, describe: 'trace or analysis JSON to compare with it' })
      .option('json', { type: 'boolean', default: false, describe: 'print the comparison as JSON (schema exitlens/diff@1)' })
      .option('fail-on-regression', {
        type: 'number',
        describe: 'exit 1 when a mechanism or exit reason is significantly slower and its median grew by more than PERCENT',
      })
      .option('alpha', { type: 'number', default: DEFAULT_ALPHA, describe: 'significance level after Holm correction' })
      .option('top', { type: 'number', default: 15, describe: 'rows per table in the terminal report' })
      .example('$0 diff before.txt after.txt', 'what changed between two captures')
      .example('$0 diff --fail-on-regression 10 baseline.json new-trace.txt', 'CI gate against a saved baseline') as unknown as Argv<Args>,
  handler: async (a: ArgumentsCamelCase<Args>) => {
    try {
      const threshold = a['fail-on-regression'];
      if (threshold !== undefined && !(threshold >= 0)) throw new UsageError('--fail-on-regression takes a percentage ≥ 0, e.g. 10');
      if (!(a.alpha > 0 && a.alpha < 1)) throw new UsageError('--alpha takes a probability between 0 and 1, e.g. 0.05');
      const [{ diffAnalyses }, { loadAnalysis }, { renderDiffJson, renderDiffText }, { terminalStyle }] = await Promise.all([
        import('../../diff/compare.js'),
        import('../../diff/load.js'),
        import('../../diff/render.js'),
        import('../style.js'),
      ]);
      const opts = analyzeOptionsOf(a);
      const given = optionsGiven(a);
      const before = await loadAnalysis([a.before], opts, given);
      const after = await loadAnalysis([a.after], opts, given);
      const r = diffAnalyses(before, after, { alpha: a.alpha, thresholdPct: threshold ?? null });
      await out(a.json ? renderDiffJson(r) : renderDiffText(r, { top: a.top, style: terminalStyle(process.stdout) }));
      process.exitCode = threshold !== undefined && r.regressions.length > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  },
};
