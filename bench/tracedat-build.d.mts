// Types of tracedat-build.mjs (used by the tests).
export interface V6Layout {
  pageSize: number;
  cpus: number;
  cpuListOffset: number;
  cpuData: { offset: number; size: number }[];
}
export function parseV6Layout(buf: Buffer): V6Layout;
export function pagesOf(buf: Buffer, layout: V6Layout): { ts: bigint; page: Buffer }[][];
export function writeV6(
  path: string,
  template: Buffer,
  layout: V6Layout,
  pageCounts: number[],
  pagesFor: (cpu: number) => Iterable<Buffer>,
): number;
export function shiftedPage(page: Buffer, shift: bigint): Buffer;
