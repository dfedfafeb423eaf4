#!/usr/bin/env node
/**
 * Generates a large KVM trace for the benchmark by replaying real record payloads from the repo's fixtures
 * (fixtures/public 003/016/020, fixtures/lab) with advancing timestamps across several vCPU threads and a mix of
 * mechanisms close to a real busy host (../shared/fixtures/large 01: APIC_WRITE ≈ 52 %, HLT ≈ 28 %, EPT_MISCONFIG
 * ≈ 10 %, MSR_WRITE ≈ 7 %, the rest I/O, interrupts, timers, hypercalls).
 *
 *   node bench/generate.mjs --lines 10000000 --format trace-cmd|ftrace|perf-script --out FILE [--exits 0]
 *
 * `--exits 0` leaves out the kvm_exit and kvm_entry lines (`--lines` counts the lines written): a trace of a host
 * whose KVM emits neither, like fixtures/lab's Linux 6.18 host, which exitlens reads in its access mode.
 *
 * Output is written in ~4 MiB blocks; memory stays flat. Deterministic (seeded PRNG): the same arguments give the
 * same bytes. Only the repo's own files are used, so it works in a user's clone.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Round-trip scenarios. Payloads are copied from real captures (source noted); the exit line's payload is the
 * libtraceevent plugin form that trace-cmd/perf print (fixtures 016, 020, 028), and kvm_entry the plugin form of
 * fixture 025 / ../shared large. Durations (ns) are typical host-side costs for each mechanism.
 */
const SCENARIOS = [
  // weight, events [name, payload, ns after the previous event]
  { w: 40, ev: [['kvm_exit', 'reason APIC_WRITE rip 0xffffffffa0360413 info 300 0'], ['kvm_apic', 'apic_write APIC_ICR = 0xfd', 300], ['kvm_entry', 'vcpu %V rip 0xffffffffa0360413', 400]] },
  { w: 20, ev: [['kvm_exit', 'reason HLT rip 0xffffffffb33f2e5f info 0 0'], ['kvm_entry', 'vcpu %V rip 0xffffffffb33f2e60', 40000]] },
  // lab: mmio to the VMM (vcpu_match_mmio / kvm_mmio lines of fixtures/lab)
  { w: 6, ev: [['kvm_exit', 'reason EPT_MISCONFIG rip 0xffffffffa0632f49 info 0 0'], ['kvm_emulate_insn', '0:ffffffffa0632f49:44 89 2c 25 00 00 00 10 (prot64)', 700], ['vcpu_match_mmio', 'gva 0x10000000 gpa 0x10000000 Write GVA', 200], ['kvm_mmio', 'mmio write len 4 gpa 0x10000000 val 0x0', 100], ['kvm_fpu', 'unload', 100], ['kvm_userspace_exit', 'reason KVM_EXIT_MMIO (6)', 300], ['kvm_fpu', 'load', 9000], ['kvm_entry', 'vcpu %V rip 0xffffffffa0632f4c', 300]] },
  { w: 3, ev: [['kvm_exit', 'reason EPT_MISCONFIG rip 0xffffffffa0632f49 info 0 0'], ['kvm_emulate_insn', '0:ffffffffa0632f49:44 89 2c 25 00 10 00 10 (prot64)', 700], ['kvm_mmio', 'mmio write len 4 gpa 0x10001000 val 0x0', 300], ['kvm_entry', 'vcpu %V rip 0xffffffffa0632f4c', 900]] },
  { w: 2, ev: [['kvm_exit', 'reason EPT_MISCONFIG rip 0xffffffffa0632f49 info 0 0'], ['kvm_fast_mmio', 'fast mmio at gpa 0xfe003000', 300], ['kvm_entry', 'vcpu %V rip 0xffffffffa0632f4c', 500]] },
  { w: 7, ev: [['kvm_exit', 'reason MSR_WRITE rip 0xffffffffaf0d5bc8 info 0 0'], ['kvm_msr', 'msr_write 6e0 = 0x2aa2a8403b1c', 300], ['kvm_entry', 'vcpu %V rip 0xffffffffaf0d5bca', 500]] },
  // fixture 020: port I/O to the VMM (VMware backdoor read), with the read completing after the userspace exit
  { w: 4, ev: [['kvm_exit', 'reason IO_INSTRUCTION rip 0x7fa9ee5224e4 info 5658000b 0'], ['kvm_fpu', 'unload', 900], ['kvm_userspace_exit', 'reason KVM_EXIT_IO (2)', 1000], ['kvm_fpu', 'load', 37000], ['kvm_pio', 'pio_read at 0x5658 size 4 count 1 val 0x4', 1000], ['kvm_entry', 'vcpu %V rip 0x7fa9ee5224e5', 2000]] },
  // lab: ioeventfd kick (port 0x20)
  { w: 4, ev: [['kvm_exit', 'reason IO_INSTRUCTION rip 0x1015b info 200000 0'], ['kvm_pio', 'pio_write at 0x20 size 1 count 1 val 0xcd', 600], ['kvm_entry', 'vcpu %V rip 0x1015d', 900]] },
  { w: 8, ev: [['kvm_exit', 'reason EXTERNAL_INTERRUPT rip 0xffffffffbb533d40 info 0 0'], ['kvm_entry', 'vcpu %V rip 0xffffffffbb533d40', 7000]] },
  { w: 4, ev: [['kvm_exit', 'reason PREEMPTION_TIMER rip 0xffffffff843a0f71 info 0 0'], ['kvm_entry', 'vcpu %V rip 0xffffffff843a0f71', 600]] },
  { w: 2, ev: [['kvm_exit', 'reason VMCALL rip 0xffffffff81036706 info 0 0'], ['kvm_hypercall', 'nr 0x5 a0 0x0 a1 0x1 a2 0x0 a3 0x0', 400], ['kvm_entry', 'vcpu %V rip 0xffffffff81036709', 900]] },
];

function args() {
  const a = { lines: 1_000_000, format: 'trace-cmd', out: '/dev/stdout', vcpus: 4, seed: 1, exits: 1 };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    const k = v[i].replace(/^--/, '');
    a[k] = k === 'format' || k === 'out' ? v[i + 1] : Number(v[i + 1]);
  }
  return a;
}

/** mulberry32: small, fast, seeded. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fmtTs(ns) {
  const s = Math.floor(ns / 1e9);
  const us = Math.floor((ns % 1e9) / 1000);
  return `${s}.${String(us).padStart(6, '0')}`;
}

const LAYOUT = {
  'trace-cmd': (comm, tid, cpu, ts, name, p) =>
    `${`${comm}-${tid}`.padStart(16)} [${String(cpu).padStart(3, '0')}] ${ts}: ${`${name}:`.padEnd(20)} ${p}`,
  ftrace: (comm, tid, cpu, ts, name, p) =>
    `${comm.padStart(16)}-${String(tid).padEnd(7)} [${String(cpu).padStart(3, '0')}] d..1. ${ts.padStart(12)}: ${name}: ${p}`,
  'perf-script': (comm, tid, cpu, ts, name, p) =>
    `${comm.padStart(16)} ${String(tid).padStart(7)} [${String(cpu).padStart(3, '0')}] ${ts}: ${`kvm:${name}`.padStart(22)}: ${p}`,
};

async function main() {
  const a = args();
  const layout = LAYOUT[a.format];
  if (!layout) throw new Error(`unknown format ${a.format}`);
  const rand = rng(a.seed);
  const total = SCENARIOS.reduce((s, x) => s + x.w, 0);
  const pick = () => {
    let r = rand() * total;
    for (const s of SCENARIOS) if ((r -= s.w) < 0) return s;
    return SCENARIOS[0];
  };
  const out = createWriteStream(a.out, { highWaterMark: 4 << 20 });
  const threads = Array.from({ length: a.vcpus }, (_, i) => ({ vcpu: i, tid: 453724 + i, cpu: 2 + i * 3, t: 1_000_000_000 * 24006 + i * 1777 }));
  if (a.format === 'trace-cmd') out.write('cpus=20\n');
  if (a.format === 'ftrace') {
    out.write('# tracer: nop\n#\n# entries-in-buffer/entries-written: 0/0   #P:20\n#\n#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n#              | |         |   |||||     |         |\n');
  }
  let lines = 0;
  let buf = [];
  let bytes = 0;
  // Merge the threads' events by time, as the tools do: each thread holds the rest of its current round trip;
  // the thread whose next event is earliest prints it.
  for (const th of threads) th.pending = [];
  const refill = (th) => {
    if (rand() < 0.001) th.cpu = (th.cpu + 7) % 20; // occasional migration to another host CPU
    th.t += 500 + Math.floor(rand() * 20000); // time in the guest before the next exit
    let t = th.t;
    for (const [name, payload, dt = 0] of pick().ev) {
      t += dt + Math.floor(rand() * (dt / 4 + 50));
      th.pending.push([t, name, payload.replace('%V', String(th.vcpu))]);
    }
    th.t = t;
  };
  for (const th of threads) refill(th);
  while (lines < a.lines) {
    let th = threads[0];
    for (const x of threads) if (x.pending[0][0] < th.pending[0][0]) th = x;
    const [t, name, payload] = th.pending.shift();
    if (a.exits !== 0 || (name !== 'kvm_exit' && name !== 'kvm_entry')) {
      const l = layout(`CPU ${th.vcpu}/KVM`, th.tid, th.cpu, fmtTs(t), name, payload);
      buf.push(l);
      bytes += l.length + 1;
      lines++;
    }
    if (th.pending.length === 0) refill(th);
    if (bytes > 4 << 20) {
      if (!out.write(`${buf.join('\n')}\n`)) await once(out, 'drain');
      buf = [];
      bytes = 0;
    }
  }
  if (buf.length) out.write(`${buf.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
  process.stderr.write(`generated ${lines} lines (${a.format}) → ${a.out}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
