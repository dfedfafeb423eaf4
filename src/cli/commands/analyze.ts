/**
 * `exitlens analyze <files..>`: the per-mechanism latency report.
 * Start-up: only the option definitions load with the CLI; the pipeline and the one renderer the run needs are
 * imported inside the handler (the HTML report only with --html), so `exitlens --help` and other commands do not
 * pay for them (issue #5).
 */
import { writeFile } from 'node:fs/promises';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { UsageError } from '../../model/errors.js';
import { DEFAULT_MODEL, DEFAULT_TRANSITION } from '../../costmodel/builtin.js';
import type { CsvTable } from '../../report/csv.js';
import { analyzeOptionsOf, EXIT_CHECK_FAILED, EXIT_OK, out, reportError, withInputOptions, type InputArgs } from '../common.js';

interface Args extends InputArgs {
  files: string[];
  json: boolean;
  csv?: string;
  strict: boolean;
  top: number;
  html?: string;
  markdown: boolean;
  quiet: boolean;
  /** Built-in model name or model file; false with --no-model. */
  model: string | false;
  'transition-ns'?: number;
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
      .option('html', {
        type: 'string',
        requiresArg: true,
        describe: 'also write a self-contained HTML report with plots to this file (opens offline in any browser)',
      })
      .option('markdown', { type: 'boolean', default: false, describe: 'print a Markdown summary (pull requests, mail)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar and no messages on stderr' })
      .option('model', {
        type: 'string',
        default: DEFAULT_MODEL,
        describe: 'compare with this cost model: a built-in name (exitlens model list) or a CSV/JSON model file; --no-model to skip',
      })
      .option('transition-ns', {
        type: 'number',
        describe: `hardware VM exit+entry cost for converting guest-measured models to the host basis (default ${DEFAULT_TRANSITION.ns})`,
      })
      .example('$0 analyze trace.txt', 'report from trace-cmd report / ftrace / perf script text')
      .example('trace-cmd report -t | $0 analyze --json', 'JSON from stdin')
      .example('$0 analyze trace.txt --html report.html', 'HTML report with plots') as unknown as Argv<Args>,
  handler: async (a: ArgumentsCamelCase<Args>) => {
    try {
      const files = a.files.length > 0 ? a.files : ['-'];
      if ([a.json, a.csv !== undefined, a.markdown].filter(Boolean).length > 1) {
        throw new UsageError('--json, --csv and --markdown each choose what stdout gets: give at most one');
      }
      // The pipeline and the progress bar load together (one dynamic import wave).
      const [{ analyzeFiles }, { formatBytes, progressFor }] = await Promise.all([import('../../analyze.js'), import('../progress.js')]);
      const progress = await progressFor(files, process.stderr, a.quiet);
      const opts = analyzeOptionsOf(a);
      if (a.model !== false && a.model !== '') opts.model = a.model;
      if (a['transition-ns'] !== undefined) opts.transitionNs = a['transition-ns'];
      const run = await analyzeFiles(files, {
        ...opts,
        // Exit counts over time per class and per vCPU thread (the JSON's `timeline`, the HTML timeline and heatmap).
        timeline: true,
        ...(progress !== null ? { onProgress: progress.update } : {}),
      }).finally(() => progress?.done());
      const an = run.analysis;
      if (a.html !== undefined) {
        const { renderHtml } = await import('../../report/html.js');
        const page = renderHtml(an);
        await writeFile(a.html, page);
        if (!a.quiet) process.stderr.write(`exitlens: wrote ${a.html} (${formatBytes(Buffer.byteLength(page))}); open it in any browser\n`);
      }
      if (a.json) await out((await import('../../report/json.js')).renderJson(an));
      else if (a.csv !== undefined) await out((await import('../../report/csv.js')).renderCsv(an, a.csv as CsvTable));
      else if (a.markdown) await out((await import('../../report/markdown.js')).renderMarkdown(an, { top: Math.min(a.top, 10) }));
      else {
        const [{ renderText }, { terminalStyle }] = await Promise.all([import('../../report/text.js'), import('../style.js')]);
        await out(renderText(an, { top: a.top, style: terminalStyle(process.stdout) }));
      }
      process.exitCode = a.strict && an.input.diagnostics.bySeverity.error > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  },
};
