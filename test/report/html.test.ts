/** The HTML report as a file: self-contained, the overview and tables a reader checks, the data the plots draw. */
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../src/analyze.js';
import { renderHtml } from '../../src/report/html.js';
import type { ReportData } from '../../src/report/html/types.js';
import { fixture, HAS_SHARED_LARGE, sharedLarge } from '../helpers.js';
import { reportAnalysis } from './analysis.js';

function embedded(html: string): ReportData {
  const m = /<script type="application\/json" id="exitlens-data">(.*?)<\/script>/s.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!) as ReportData;
}

/** Text of the table with this id, as rows of cell texts (tags stripped, entities decoded). */
function tableRows(html: string, id: string): string[][] {
  const t = new RegExp(`<table id="${id}"[^>]*>(.*?)</table>`, 's').exec(html);
  expect(t, id).not.toBeNull();
  const dec = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return [...t![1]!.matchAll(/<tr>(.*?)<\/tr>/gs)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map((c) => dec(c[1]!)));
}

function expectSelfContained(html: string): void {
  // No element loads anything: no src/href to another document, no CSS url(), and a CSP that forbids it anyway.
  // (Script bodies are left out of the search: ECharts' own source mentions such tags in strings.)
  const markup = html.replace(/(<script[^>]*>)[\s\S]*?(<\/script>)/g, '$1$2');
  expect(markup).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'/);
  expect(markup.match(/<script[^>]*>/g)).toEqual(['<script type="application/json" id="exitlens-data">', '<script>', '<script type="module">']);
  expect(markup).not.toMatch(/<(img|link|iframe|source|video|audio|object|embed)\b/i);
  expect(markup).not.toMatch(/\s(src|href)=["']?(https?:|\/\/)/i);
  expect(markup).not.toMatch(/url\(|@import/);
  // ECharts (inlined) and the page script are there.
  expect(html).toMatch(/<script>[\s\S]*Apache Software Foundation[\s\S]*<\/script>/);
  expect(html).toMatch(/<script type="module">[\s\S]*exitlens-data[\s\S]*<\/script>/);
}

describe('renderHtml', () => {
  it('lab capture: overview, access-mode sections, sortable tables with the ground-truth counts, the model', async () => {
    const a = await reportAnalysis(fixture('lab', 'tracefs-user-kvm-pvm.txt.gz'), { model: 'haskins-2009' });
    const html = renderHtml(a);
    expectSelfContained(html);
    expect(html).toContain('<title>exitlens — ');
    expect(html).toMatch(/<h3>Accesses<\/h3><div class="big">7025<\/div>/);
    expect(html).toMatch(/<h3>Time in exits<\/h3><div class="big">not measurable/);
    expect(html).toMatch(/<h3>Diagnostics<\/h3><div class="big good">0 errors/);
    // Access mode: no latency plots, said in words; the VMM phase chart instead.
    expect(html).toContain('This trace has no kvm_exit/kvm_entry events, so round-trip latency cannot be measured');
    expect(html).not.toContain('data-chart="cdf"');
    for (const k of ['vmm-phases', 'timeline', 'heatmap', 'model']) expect(html).toContain(`data-chart="${k}"`);
    const mech = tableRows(html, 'mechanisms');
    expect(mech[0]).toEqual(['Class', 'Count', 'Share', 'To VMM', 'VMM p50', 'VMM p99', 'Evidence']);
    expect(Object.fromEntries(mech.slice(1).map((r) => [r[0], Number(r[1])]))).toEqual({
      'pio-vmm': 2025,
      'mmio-kernel': 2000,
      cpuid: 1000,
      'mmio-vmm': 1000,
      'pio-kernel': 1000,
    });
    expect(html).toMatch(/<table id="mechanisms" class="sortable">/);
    expect(html).toMatch(/<td data-v="2025" class="num">2025<\/td>/);
    const dev = tableRows(html, 'devices');
    expect(dev.find((r) => r[1] === '0x20')).toContain('PIC master (8259)');
    // The model is judged in a table and plotted; the what-if has its chart.
    const model = tableRows(html, 'model-table');
    expect(model[0]).toEqual(['Mechanism', 'Samples', 'Observed p50', '95% CI', 'Model', 'Tolerance', 'Ratio', 'Verdict', 'Source']);
    expect(model.slice(1).map((r) => r[0])).toEqual(a.model!.rows.map((r) => r.mechanism));
    if (a.model!.whatIf.length > 0) expect(html).toContain('data-chart="whatif"');
    // The embedded series are the ones series.ts prepares (checked in series.test.ts), for this analysis.
    const d = embedded(html);
    expect(d.mode).toBe('accesses');
    expect(d.vmmPhases.map((v) => v.name)).toEqual(['pio-vmm', 'mmio-vmm']);
    expect(d.model?.model.name).toBe('haskins-2009');
  });

  it('without a model: says so, draws no model chart', async () => {
    const a = await reportAnalysis(fixture('public', '003-github-kvm-example-aout-trace-pipe.txt'));
    delete a.model;
    const html = renderHtml(a);
    expect(html).toContain('No model applied');
    expect(html).toMatch(/<div class="big muted">no model applied<\/div>/);
    expect(html).not.toContain('data-chart="model"');
    // Round trips: the latency plots are there, one histogram per mechanism and per exit reason.
    expect(html).toContain('data-chart="cdf"');
    expect(html.match(/data-chart="hist-mechanism"/g)).toHaveLength(a.mechanisms.length);
    expect(html.match(/data-chart="hist-reason"/g)).toHaveLength(a.exitReasons.length);
    expect(tableRows(html, 'exit-reasons').slice(1).map((r) => r[0])).toEqual(a.exitReasons.map((r) => r.reason));
  });

  it('names from the trace cannot break out of the page', () => {
    const run = analyzeText(
      ' </script><b>x-1 [000] 1.000000: kvm_exit: reason MSR_READ rip 0x0 info 0 0\n' +
        ' </script><b>x-1 [000] 1.000002: kvm_entry: vcpu 0\n',
      { name: '</script><img src=x onerror=alert(1)>.txt' },
    );
    const html = renderHtml(run.analysis);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>x');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;.txt');
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(embedded(html).title).toContain('</script><img');
  });

  it.skipIf(!HAS_SHARED_LARGE)('94k round trips: every table row and the top mechanism by time', async () => {
    const a = await reportAnalysis(sharedLarge('01-hip24-thesis-host-2vms-110k.report-derived.txt'));
    const html = renderHtml(a);
    expectSelfContained(html);
    expect(html).toMatch(/<h3>Round trips<\/h3><div class="big">94144<\/div>/);
    expect(html).toMatch(/Top mechanisms by time<\/h3><ul class="top"><li><span class="swatch"[^>]*><\/span><b>hlt<\/b> 100\.0% of the time, 27\.9% of exits/);
    expect(tableRows(html, 'mechanisms')).toHaveLength(a.mechanisms.length + 1);
    expect(tableRows(html, 'vcpus').slice(1).map((r) => r[0])).toEqual(a.vcpus.map((v) => v.thread));
    expect(html).toContain('This trace holds no kvm_userspace_exit events, so it cannot tell time in KVM from time in the VMM.');
    // The embedded data stays small: the page is the ~1.1 MB library plus well under 1 MB of data.
    expect(html.length).toBeLessThan(2_000_000);
  });
});
