/** Analyses as `exitlens analyze` builds them for its reports: with the timeline section (and the default model). */
import { analyzeFiles, type AnalyzeOptions } from '../../src/analyze.js';
import type { Analysis } from '../../src/model/analysis.js';
import { TimelineCollector } from '../../src/stats/timeline.js';

export async function reportAnalysis(path: string, opts: AnalyzeOptions = {}): Promise<Analysis> {
  const c = new TimelineCollector();
  const run = await analyzeFiles([path], { ...opts, onUnit: c.onUnit });
  const t = c.finish(run.relabelUnknown, run.firstTs, run.analysis.input.timestampResolutionNs ?? 1);
  if (t !== null) run.analysis.timeline = t;
  return run.analysis;
}
