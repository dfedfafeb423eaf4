/**
 * Built-in cost models: the published guest-observed round-trip figures collected in
 * ../../../shared/docs/background.md ("What the literature says"), one model per source, each row citing it.
 * Values are exactly as published; rows the authors extrapolated (rather than measured) are marked.
 *
 *   haskins-2009      G. Haskins, "kvm: add iofd support" v7.2, kvm list, 2009-05-12 — doorbell harness, µs per
 *                     round trip measured in the guest. hypercall and pio-vmm were extrapolated by the author.
 *   oskolkov-2022     P. Oskolkov, HC_VMM_CUSTOM thread, LKML 2022-04-28 — vmcall to the VMM 2.5 µs; outb+inb
 *                     (two exits) 5.5 µs, i.e. 2.75 µs per exit (the halving is ours, said in the row's note).
 *   pci-testdev-2013  QEMU commit 22773d6066 (M. S. Tsirkin, docs/specs/pci-testdev.txt) — kvm-unit-tests guest
 *                     TSC cycles per access. The commit gives no clock rate: 3.0 GHz is ASSUMED (a round nominal
 *                     TSC rate of the period's server CPUs); every row says so and `model show` prints it.
 *
 * Default for `analyze`: haskins-2009 — it covers five of the seven mechanisms, both sides of each ioeventfd
 * trade-off (pio-kernel/pio-vmm, mmio-kernel/mmio-vmm, so every what-if has a model alternative) and needs no
 * assumed clock rate.
 *
 * Default transition (hardware VM exit + VM entry, which a host trace cannot see): a bare world switch ≈2000
 * cycles (A. Landau, M. Ben-Yehuda, A. Gordon, "SplitX: Split Guest/Hypervisor Execution on Multi-Core", WIOV
 * 2011, Xeon X5570) at that CPU's nominal 2.93 GHz = 683 ns.
 */
import type { ClassName } from '../model/classes.js';
import type { CostModel, CostModelRow, ModelUnit, Transition } from './types.js';

/** ±25 %: a figure measured on another host, another year; "within" means "the same ballpark", and the ratio is
 *  printed anyway. Also the default for model-file rows without a tolerance. */
export const DEFAULT_TOLERANCE = 0.25;

/** SplitX (2011): a bare world switch costs ≈2000 cycles on a Xeon X5570 (nominal clock 2.93 GHz). */
export const SPLITX_CYCLES = 2000;
export const SPLITX_GHZ = 2.93;
export const DEFAULT_TRANSITION: Transition = {
  ns: Math.round(SPLITX_CYCLES / SPLITX_GHZ),
  source: 'default: SplitX (WIOV 2011) bare world switch ≈2000 cycles at 2.93 GHz',
};

export const DEFAULT_MODEL = 'haskins-2009';

/** Assumed TSC rate for the pci-testdev cycle counts (not published with them). */
const PCI_TESTDEV_ASSUMED_GHZ = 3.0;

function row(
  mechanism: ClassName,
  value: number,
  unit: ModelUnit,
  source: string,
  extra: Partial<Pick<CostModelRow, 'extrapolated' | 'note' | 'clockGhz' | 'clockAssumed'>> = {},
): CostModelRow {
  return {
    mechanism,
    value,
    unit,
    clockGhz: extra.clockGhz ?? null,
    clockAssumed: extra.clockAssumed ?? false,
    basis: 'guest-rtt',
    tolerance: DEFAULT_TOLERANCE,
    source,
    extrapolated: extra.extrapolated ?? false,
    note: extra.note ?? '',
    line: null,
  };
}

const HASKINS = 'G. Haskins, "kvm: add iofd support" v7.2, kvm list, 2009-05-12';
const OSKOLKOV = 'P. Oskolkov, HC_VMM_CUSTOM thread, LKML 2022-04-28';
const TESTDEV = 'QEMU commit 22773d6066, docs/specs/pci-testdev.txt (M. S. Tsirkin, 2013)';
const assumed = { clockGhz: PCI_TESTDEV_ASSUMED_GHZ, clockAssumed: true } as const;

export const BUILTIN_MODELS: readonly CostModel[] = [
  {
    name: 'haskins-2009',
    title: 'Haskins 2009 doorbell harness, µs measured in the guest',
    source: HASKINS,
    file: null,
    transition: null,
    notes: [
      'Guest-measured round trips of a doorbell write; "extrapolated" rows were derived by the author, not measured.',
      'pio-kernel and mmio-kernel are ioeventfd doorbells (the write signals an eventfd and the guest resumes).',
    ],
    rows: [
      row('hypercall-kernel', 2.37, 'us', HASKINS, { extrapolated: true }),
      row('pio-kernel', 2.72, 'us', HASKINS, { note: 'PIO ioeventfd' }),
      row('pio-vmm', 6.53, 'us', HASKINS, { extrapolated: true }),
      row('mmio-kernel', 5.0, 'us', HASKINS, { note: 'MMIO ioeventfd (guest page walk + instruction decode)' }),
      row('mmio-vmm', 9.09, 'us', HASKINS),
    ],
  },
  {
    name: 'oskolkov-2022',
    title: 'Oskolkov 2022, vmcall to the VMM vs outb+inb, µs in the guest',
    source: OSKOLKOV,
    file: null,
    transition: null,
    notes: ['Argued for a hypercall to the VMM (HC_VMM_CUSTOM) over port I/O; figures from a modern Intel host.'],
    rows: [
      row('hypercall-vmm', 2.5, 'us', OSKOLKOV, { note: 'vmcall handled by the VMM' }),
      row('pio-vmm', 2.75, 'us', OSKOLKOV, { note: 'published as 5.5 µs for outb+inb (two exits); halved here' }),
    ],
  },
  {
    name: 'pci-testdev-2013',
    title: 'QEMU pci-testdev ioeventfd benchmark, guest TSC cycles (clock assumed: 3.0 GHz)',
    source: TESTDEV,
    file: null,
    transition: null,
    notes: [
      'Cycle counts as printed by kvm-unit-tests; the commit gives no clock rate, so 3.0 GHz is an assumption: ' +
        'write a model file with the right clockGhz for another conversion.',
      'The wildcard-MMIO figure predates the EPT-misconfig fast path (Linux 4.4, 2015): it went through emulation.',
    ],
    rows: [
      row('pio-kernel', 1762, 'cycles', TESTDEV, { ...assumed, note: 'portio-wildcard-eventfd (datamatch: 1777)' }),
      row('pio-vmm', 5287, 'cycles', TESTDEV, { ...assumed, note: 'portio-no-eventfd' }),
      row('mmio-fast', 3609, 'cycles', TESTDEV, { ...assumed, note: 'mmio-wildcard-eventfd' }),
      row('mmio-kernel', 3685, 'cycles', TESTDEV, { ...assumed, note: 'mmio-datamatch-eventfd' }),
      row('mmio-vmm', 8796, 'cycles', TESTDEV, { ...assumed, note: 'mmio-no-eventfd' }),
    ],
  },
];

export function builtinModel(name: string): CostModel | undefined {
  return BUILTIN_MODELS.find((m) => m.name === name);
}
