/**
 * Well-known x86 PC / QEMU device addresses: I/O ports (for kvm_pio / IO exits) and guest-physical MMIO ranges (for
 * kvm_mmio / kvm_fast_mmio), so a report can say "COM1" instead of "port 0x3f8".
 *
 * Names are labels for humans, not proof: a VMM is free to put anything anywhere (the lab VMM uses ports 0x10/0x20
 * and GPA 0x10000000, which are deliberately left unnamed). Ranges follow the classic PC/AT map and QEMU's defaults:
 * - legacy ISA ports (IBM PC/AT technical reference layout, as emulated by QEMU hw/isa, hw/timer/i8254, hw/rtc,
 *   hw/char/serial-isa: COM1 0x3f8, COM2 0x2f8, COM3 0x3e8, COM4 0x2e8; LPT 0x378/0x278/0x3bc; IDE 0x1f0/0x170);
 * - PCI configuration mechanism #1 (0xcf8 address, 0xcfc-0xcff data) and the PIIX/ICH reset control register 0xcf9;
 * - QEMU fw_cfg I/O interface 0x510 (selector) / 0x511 (data) / 0x514-0x51b (DMA address);
 * - QEMU PIIX4 ACPI PM block at 0xb000 (PM1a_EVT +0, PM1a_CNT +4, PM timer +8), GPE0 0xafe0, PCI hotplug 0xae00,
 *   CPU hotplug 0xaf00; q35/ICH9 PMBASE 0x600 (0x80 bytes, PM timer at +8);
 * - SeaBIOS debug port 0x402, Bochs/QEMU debugcon 0xe9, Bochs VBE 0x1ce/0x1cf, VMware backdoor 0x5658 ('VX') and
 *   high-bandwidth 0x5659; SeaBIOS allocates PCI I/O BARs from 0xc000;
 * - MMIO: LAPIC 0xfee00000 (4 KiB; the rest of 0xfee00000-0xfeefffff is the MSI address window), IOAPIC 0xfec00000
 *   (4 KiB), HPET 0xfed00000 (1 KiB), TPM TIS 0xfed40000 (5 localities × 4 KiB), ICH9 RCRB 0xfed1c000 (16 KiB),
 *   q35 MMCONFIG/ECAM 0xb0000000 (256 MiB), QEMU microvm virtio-mmio 0xfeb00000 (24 × 512 B), the rust-vmm
 *   (Firecracker, crosvm, Cloud Hypervisor) MMIO gap starting at 4 GiB − 768 MiB = 0xd0000000, legacy VGA window
 *   0xa0000-0xbffff, option ROMs 0xc0000-0xdffff, BIOS 0xe0000-0xfffff, BIOS flash below 4 GiB.
 * The return value is '' when nothing is known about the address.
 */

interface Range {
  lo: number;
  hi: number;
  name: string;
}

/** I/O port ranges, most specific first where they overlap (the first match wins). */
const PIO_RANGES: readonly Range[] = [
  { lo: 0x0000, hi: 0x000f, name: 'DMA controller 1 (8237)' },
  { lo: 0x0020, hi: 0x0021, name: 'PIC master (8259)' },
  { lo: 0x0040, hi: 0x0043, name: 'PIT (8254)' },
  { lo: 0x0060, hi: 0x0060, name: 'i8042 keyboard data' },
  { lo: 0x0061, hi: 0x0061, name: 'port 0x61 (speaker / NMI status)' },
  { lo: 0x0064, hi: 0x0064, name: 'i8042 keyboard status/command' },
  { lo: 0x0070, hi: 0x0071, name: 'RTC/CMOS' },
  { lo: 0x0080, hi: 0x0080, name: 'POST / I/O delay (0x80)' },
  { lo: 0x0081, hi: 0x008f, name: 'DMA page registers' },
  { lo: 0x0092, hi: 0x0092, name: 'port 0x92 (fast A20 / reset)' },
  { lo: 0x00a0, hi: 0x00a1, name: 'PIC slave (8259)' },
  { lo: 0x00b2, hi: 0x00b3, name: 'APM / ACPI SMI command' },
  { lo: 0x00c0, hi: 0x00df, name: 'DMA controller 2 (8237)' },
  { lo: 0x00e9, hi: 0x00e9, name: 'Bochs/QEMU debugcon (0xe9)' },
  { lo: 0x0170, hi: 0x0177, name: 'IDE secondary' },
  { lo: 0x01ce, hi: 0x01cf, name: 'Bochs VBE (DISPI index/data)' },
  { lo: 0x01f0, hi: 0x01f7, name: 'IDE primary' },
  { lo: 0x0200, hi: 0x0207, name: 'game port' },
  { lo: 0x0278, hi: 0x027a, name: 'LPT2' },
  { lo: 0x02e8, hi: 0x02ef, name: 'COM4' },
  { lo: 0x02f8, hi: 0x02ff, name: 'COM2' },
  { lo: 0x0376, hi: 0x0376, name: 'IDE secondary (control)' },
  { lo: 0x0378, hi: 0x037a, name: 'LPT1' },
  { lo: 0x03b0, hi: 0x03bb, name: 'VGA (mono)' },
  { lo: 0x03bc, hi: 0x03be, name: 'LPT (MDA)' },
  { lo: 0x03c0, hi: 0x03df, name: 'VGA' },
  { lo: 0x03e8, hi: 0x03ef, name: 'COM3' },
  { lo: 0x03f6, hi: 0x03f6, name: 'IDE primary (control)' },
  { lo: 0x03f0, hi: 0x03f7, name: 'floppy controller' },
  { lo: 0x03f8, hi: 0x03ff, name: 'COM1' },
  { lo: 0x0402, hi: 0x0402, name: 'SeaBIOS debug port (0x402)' },
  { lo: 0x04d0, hi: 0x04d1, name: 'ELCR (PIC edge/level)' },
  { lo: 0x0510, hi: 0x0510, name: 'fw_cfg selector' },
  { lo: 0x0511, hi: 0x0511, name: 'fw_cfg data' },
  { lo: 0x0514, hi: 0x051b, name: 'fw_cfg DMA' },
  // q35/ICH9 ACPI PM I/O block (PMBASE 0x600, 128 bytes); the PM timer is the 32-bit register at +8.
  { lo: 0x0608, hi: 0x060b, name: 'ACPI PM timer (q35)' },
  { lo: 0x0600, hi: 0x067f, name: 'ACPI PM (q35/ICH9)' },
  { lo: 0x0cf8, hi: 0x0cf8, name: 'PCI config address (0xcf8)' },
  { lo: 0x0cf9, hi: 0x0cf9, name: 'PCI reset control (0xcf9)' },
  { lo: 0x0cfa, hi: 0x0cfb, name: 'PCI config address (0xcf8)' },
  { lo: 0x0cfc, hi: 0x0cff, name: 'PCI config data (0xcfc)' },
  { lo: 0x5658, hi: 0x5658, name: 'VMware backdoor (0x5658)' },
  { lo: 0x5659, hi: 0x5659, name: 'VMware backdoor high-bandwidth (0x5659)' },
  { lo: 0xae00, hi: 0xae13, name: 'ACPI PCI hotplug (piix4)' },
  { lo: 0xaf00, hi: 0xaf1f, name: 'ACPI CPU hotplug (piix4)' },
  { lo: 0xafe0, hi: 0xafe3, name: 'ACPI GPE0 (piix4)' },
  { lo: 0xb008, hi: 0xb00b, name: 'ACPI PM timer (piix4)' },
  { lo: 0xb000, hi: 0xb03f, name: 'ACPI PM (piix4)' },
  // SeaBIOS assigns PCI I/O BARs (legacy virtio-pci, e1000, …) upwards from 0xc000.
  { lo: 0xc000, hi: 0xffff, name: 'PCI I/O BAR (0xc000+)' },
];

/** Port → index+1 into PIO_RANGES (0 = unnamed); ports are 16 bits, so a 64 Ki-entry table is built once. */
const PORT_COUNT = 0x10000;
const portIndex = new Uint8Array(PORT_COUNT);
for (let r = PIO_RANGES.length - 1; r >= 0; r--) {
  const range = PIO_RANGES[r]!;
  for (let p = range.lo; p <= range.hi; p++) portIndex[p] = r + 1; // earlier entries overwrite later ones
}

export function pioDeviceName(port: number): string {
  if (!Number.isInteger(port) || port < 0 || port >= PORT_COUNT) return '';
  const i = portIndex[port]!;
  return i === 0 ? '' : PIO_RANGES[i - 1]!.name;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Guest-physical MMIO ranges, most specific first (the first match wins). */
const MMIO_RANGES: readonly Range[] = [
  { lo: 0xa0000, hi: 0xbffff, name: 'legacy VGA window' },
  { lo: 0xc0000, hi: 0xdffff, name: 'option ROM area' },
  { lo: 0xe0000, hi: 0xfffff, name: 'BIOS ROM area' },
  // q35 MMCONFIG (PCIe ECAM): 256 buses × 1 MiB at 0xb0000000.
  { lo: 0xb0000000, hi: 0xb0000000 + 256 * MiB - 1, name: 'PCIe ECAM/MMCONFIG (q35)' },
  { lo: 0xfec00000, hi: 0xfec00000 + 4 * KiB - 1, name: 'IOAPIC' },
  // QEMU microvm: 24 virtio-mmio transports of 512 bytes each from 0xfeb00000.
  { lo: 0xfeb00000, hi: 0xfeb00000 + 24 * 512 - 1, name: 'virtio-mmio (QEMU microvm)' },
  { lo: 0xfed00000, hi: 0xfed00000 + KiB - 1, name: 'HPET' },
  { lo: 0xfed1c000, hi: 0xfed1c000 + 16 * KiB - 1, name: 'ICH9 RCRB (q35)' },
  { lo: 0xfed40000, hi: 0xfed40000 + 5 * 4 * KiB - 1, name: 'TPM TIS' },
  // The xAPIC registers occupy one 4 KiB page at the default APIC base; the rest of the 1 MiB is the MSI window.
  { lo: 0xfee00000, hi: 0xfee00000 + 4 * KiB - 1, name: 'LAPIC' },
  { lo: 0xfee00000, hi: 0xfee00000 + MiB - 1, name: 'MSI address window' },
  // Firmware flash (pflash / BIOS image) is mapped just below 4 GiB; 16 MiB covers every QEMU firmware size.
  { lo: 4 * GiB - 16 * MiB, hi: 4 * GiB - 1, name: 'BIOS flash' },
  // Generic 32-bit PCI/MMIO hole: QEMU q35 puts PCI BARs above ECAM (0xc0000000); rust-vmm VMMs (Firecracker,
  // crosvm, Cloud Hypervisor) start their MMIO gap at 4 GiB − 768 MiB = 0xd0000000 (virtio-mmio, PCI BARs).
  { lo: 0xc0000000, hi: 0xfebfffff, name: '32-bit MMIO hole (PCI BARs / virtio-mmio)' },
];

export function mmioDeviceName(gpa: number): string {
  if (!Number.isFinite(gpa) || gpa < 0) return '';
  for (const r of MMIO_RANGES) if (gpa >= r.lo && gpa <= r.hi) return r.name;
  return '';
}
