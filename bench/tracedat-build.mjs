// Build trace.dat files (version 6, uncompressed) from the repository's own v6 fixture: its metadata (formats,
// cmdlines, options) is kept and the per-CPU data is replaced by pages given by the caller. Used by
// bench/tracedat-bench.mjs (a large file: the fixture's pages repeated with shifted page time stamps) and by the
// reader's tests (small synthetic pages: kvm_exit records, time extends, padding, missed-events flags).
//
// v6 layout walked here (trace-cmd.dat.v6(5)): initial header; header_page/header_event; ftrace formats; event
// formats; kallsyms; printk; cmdlines; u32 cpus; "options  \0" + options (u16 id, u32 size, data; 0 ends);
// "flyrecord\0"; per CPU u64 offset + u64 size; page-aligned CPU data. Little-endian files only.
import { closeSync, openSync, writeSync } from 'node:fs';

/** Walk a little-endian v6 file's header; return where the per-CPU list starts and what it says. */
export function parseV6Layout(buf) {
  let p = 10;
  const z = buf.indexOf(0, p);
  if (buf.toString('latin1', p, z) !== '6') throw new Error('not a v6 trace.dat');
  p = z + 1;
  if (buf[p] !== 0) throw new Error('big-endian template not supported');
  p += 2;
  const pageSize = buf.readUInt32LE(p);
  p += 4;
  const u64 = () => {
    const v = Number(buf.readBigUInt64LE(p));
    p += 8;
    return v;
  };
  const u32 = () => {
    const v = buf.readUInt32LE(p);
    p += 4;
    return v;
  };
  // (`skip(u64())`, not `p += u64()`: the read moves p before the addition would use it)
  const skip = (n) => {
    p += n;
  };
  p += 12;
  skip(u64()); // header_page
  p += 13;
  skip(u64()); // header_event
  for (let n = u32(); n > 0; n--) skip(u64()); // ftrace formats
  for (let s = u32(); s > 0; s--) {
    p = buf.indexOf(0, p) + 1; // system name
    for (let n = u32(); n > 0; n--) skip(u64());
  }
  skip(u32()); // kallsyms
  skip(u32()); // printk
  skip(u64()); // cmdlines
  const cpus = u32();
  if (buf.toString('latin1', p, p + 7) === 'options') {
    p += 10;
    for (;;) {
      const id = buf.readUInt16LE(p);
      p += 2;
      if (id === 0) break;
      skip(u32());
    }
  }
  if (buf.toString('latin1', p, p + 9) !== 'flyrecord') throw new Error('no flyrecord data');
  p += 10;
  const cpuListOffset = p;
  const cpuData = [];
  for (let i = 0; i < cpus; i++) cpuData.push({ offset: u64(), size: u64() });
  return { pageSize, cpus, cpuListOffset, cpuData };
}

/** The pages of each CPU of a v6 file: [{ ts: bigint, page: Buffer }] per CPU. */
export function pagesOf(buf, layout) {
  return layout.cpuData.map(({ offset, size }) => {
    const pages = [];
    for (let o = offset; o + layout.pageSize <= offset + size; o += layout.pageSize) {
      const page = buf.subarray(o, o + layout.pageSize);
      pages.push({ ts: page.readBigUInt64LE(0), page });
    }
    return pages;
  });
}

/**
 * Write a v6 file: the template's metadata, then for CPU i the pages produced by `pagesFor(i)` (an iterable of
 * page-sized Buffers). The number of CPUs stays the template's. Returns the bytes written.
 */
export function writeV6(path, template, layout, pageCounts, pagesFor) {
  const ps = layout.pageSize;
  const listEnd = layout.cpuListOffset + 16 * layout.cpus;
  const dataStart = Math.ceil(listEnd / ps) * ps;
  const head = Buffer.alloc(dataStart);
  template.copy(head, 0, 0, layout.cpuListOffset);
  let off = dataStart;
  for (let i = 0; i < layout.cpus; i++) {
    const size = (pageCounts[i] ?? 0) * ps;
    head.writeBigUInt64LE(BigInt(size === 0 ? 0 : off), layout.cpuListOffset + 16 * i);
    head.writeBigUInt64LE(BigInt(size), layout.cpuListOffset + 16 * i + 8);
    off += size;
  }
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    let total = head.length;
    for (let i = 0; i < layout.cpus; i++) {
      let n = 0;
      const batch = [];
      let batchLen = 0;
      for (const page of pagesFor(i)) {
        if (page.length !== ps) throw new Error('page of the wrong size');
        batch.push(page);
        batchLen += ps;
        n++;
        if (batchLen >= 1 << 22) {
          writeSync(fd, Buffer.concat(batch));
          total += batchLen;
          batch.length = 0;
          batchLen = 0;
        }
      }
      if (batchLen > 0) writeSync(fd, Buffer.concat(batch));
      total += batchLen;
      if (n !== (pageCounts[i] ?? 0)) throw new Error(`CPU ${i}: ${n} pages written, ${pageCounts[i]} announced`);
    }
    return total;
  } finally {
    closeSync(fd);
  }
}

/** Copy of a page with its time stamp moved by `shift` (ns or ticks). */
export function shiftedPage(page, shift) {
  const p = Buffer.from(page);
  p.writeBigUInt64LE(page.readBigUInt64LE(0) + shift, 0);
  return p;
}
