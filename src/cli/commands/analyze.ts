/** `exitlens analyze <files..>`: the per-mechanism latency report. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { analyzeFiles } from '../../analyze.js';
import { renderCsv, type CsvTable } from '../../report/csv.js';
import { renderJson } from '../../report/json.js';
import { renderText } from '../../report/text.js';
import { terminalStyle } from '../style.js';
import { analyzeOptionsOf, EXIT_CHECK_FAILED, EXIT_OK, out, reportError, withInputOptions, type InputArgs } from '../common.js';

interface Args extends InputArgs {
  files: string[];
  json: boolean;
  csv?: string;
  strict: boolean;
  top: number;
}

export const analyzeCommand: CommandModule<object, Args> = {
  command: 'analyze [files..]',
  describe: 'classify every round trip by mechanism and report counts and latency percentiles',
  builder: (y: Argv) =>
    withInputOptions(y)
      .positional('files', { type: 'string', array: true, default: ['-'], describe: 'trace files (.gz ok); - or none = stdin' })
      .option('json', { type: 'boolean', default: false, describe: 'print the analysis as JSON (schema exitlens/analysis@1)' })
      .option('csv', {
        choices: ['mechanisms', 'exit-reasons', 'vcpus', 'devices'],
        describe: 'print one table as CSV',
      })
      .option('strict', { type: 'boolean', default: false, describe: 'exit 1 when any error-level diagnostic was recorded' })
      .option('top', { type: 'number', default: 15, describe: 'rows per table in the terminal report' })
      .example('$0 analyze trace.txt', 'report from trace-cmd report / ftrace / perf script text')
      .example('trace-cmd report -t | $0 analyze --json', 'JSON from stdin') as unknown as Argv<Args>,
  handler: async (a: ArgumentsCamelCase<Args>) => {
    try {
      const files = a.files.length > 0 ? a.files : ['-'];
      const run = await analyzeFiles(files, analyzeOptionsOf(a));
      const an = run.analysis;
      if (a.json) await out(renderJson(an));
      else if (a.csv !== undefined) await out(renderCsv(an, a.csv as CsvTable));
      else await out(renderText(an, { top: a.top, style: terminalStyle(process.stdout) }));
      process.exitCode = a.strict && an.input.diagnostics.bySeverity.error > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  },
};
