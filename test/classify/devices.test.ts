import { describe, expect, it } from 'vitest';
import { mmioDeviceName, pioDeviceName } from '../../src/classify/devices.js';

describe('pioDeviceName', () => {
  it.each([
    [0x20, 'PIC master (8259)'],
    [0x21, 'PIC master (8259)'],
    [0xa0, 'PIC slave (8259)'],
    [0xa1, 'PIC slave (8259)'],
    [0x40, 'PIT (8254)'],
    [0x43, 'PIT (8254)'],
    [0x60, 'i8042 keyboard data'],
    [0x64, 'i8042 keyboard status/command'],
    [0x61, 'port 0x61 (speaker / NMI status)'],
    [0x70, 'RTC/CMOS'],
    [0x71, 'RTC/CMOS'],
    [0x80, 'POST / I/O delay (0x80)'],
    [0x81, 'DMA page registers'],
    [0x0c, 'DMA controller 1 (8237)'],
    [0xc0, 'DMA controller 2 (8237)'],
    [0xb2, 'APM / ACPI SMI command'],
    [0x4d0, 'ELCR (PIC edge/level)'],
    [0x3f8, 'COM1'], // #003: the toy VMM's serial output
    [0x3fd, 'COM1'],
    [0x2f8, 'COM2'],
    [0x3e8, 'COM3'],
    [0x2e8, 'COM4'],
    [0x378, 'LPT1'],
    [0x1f0, 'IDE primary'],
    [0x3f6, 'IDE primary (control)'],
    [0x170, 'IDE secondary'],
    [0x3f2, 'floppy controller'],
    [0x3d4, 'VGA'],
    [0x1ce, 'Bochs VBE (DISPI index/data)'],
    [0x1cf, 'Bochs VBE (DISPI index/data)'],
    [0xcf8, 'PCI config address (0xcf8)'], // #028: SVM IOIO exit to 0xcf8
    [0xcf9, 'PCI reset control (0xcf9)'],
    [0xcfc, 'PCI config data (0xcfc)'],
    [0xcff, 'PCI config data (0xcfc)'],
    [0x510, 'fw_cfg selector'],
    [0x511, 'fw_cfg data'],
    [0x514, 'fw_cfg DMA'],
    [0x402, 'SeaBIOS debug port (0x402)'],
    [0xe9, 'Bochs/QEMU debugcon (0xe9)'],
    [0x5658, 'VMware backdoor (0x5658)'], // #020: Jailhouse test VM hammering the backdoor
    [0xb000, 'ACPI PM (piix4)'],
    [0xb008, 'ACPI PM timer (piix4)'],
    [0xb03f, 'ACPI PM (piix4)'],
    [0x600, 'ACPI PM (q35/ICH9)'],
    [0x608, 'ACPI PM timer (q35)'],
    [0x67f, 'ACPI PM (q35/ICH9)'],
    [0xafe0, 'ACPI GPE0 (piix4)'],
    [0xc13e, 'PCI I/O BAR (0xc000+)'], // #004: a PCI device's I/O BAR
  ])('0x%s → %s', (port, name) => {
    expect(pioDeviceName(port)).toBe(name);
  });

  it("returns '' for ports nobody owns and for invalid input", () => {
    expect(pioDeviceName(0x10)).toBe(''); // the lab VMM's private port
    expect(pioDeviceName(0xf0)).toBe('');
    expect(pioDeviceName(0x680)).toBe(''); // just past the q35 PM block
    expect(pioDeviceName(0x10000)).toBe('');
    expect(pioDeviceName(-1)).toBe('');
    expect(pioDeviceName(1.5)).toBe('');
  });
});

describe('mmioDeviceName', () => {
  it.each([
    [0xfee000b0, 'LAPIC'], // #004: APIC EOI write
    [0xfee00300, 'LAPIC'],
    [0xfee00fff, 'LAPIC'],
    [0xfee01000, 'MSI address window'],
    [0xfeefffff, 'MSI address window'],
    [0xfec00000, 'IOAPIC'],
    [0xfec00010, 'IOAPIC'],
    [0xfed00000, 'HPET'],
    [0xfed000f0, 'HPET'],
    [0xfed40000, 'TPM TIS'],
    [0xfed44fff, 'TPM TIS'],
    [0xfed1c000, 'ICH9 RCRB (q35)'],
    [0xb0000000, 'PCIe ECAM/MMCONFIG (q35)'],
    [0xbfffffff, 'PCIe ECAM/MMCONFIG (q35)'],
    [0xa0000, 'legacy VGA window'],
    [0xbffff, 'legacy VGA window'],
    [0xc0000, 'option ROM area'],
    [0xf0000, 'BIOS ROM area'],
    [0xfffffff0, 'BIOS flash'],
    [0xfeb00000, 'virtio-mmio (QEMU microvm)'],
    [0xd0000000, '32-bit MMIO hole (PCI BARs / virtio-mmio)'],
    [0xfe003000, '32-bit MMIO hole (PCI BARs / virtio-mmio)'],
  ])('0x%s → %s', (gpa, name) => {
    expect(mmioDeviceName(gpa)).toBe(name);
  });

  it("returns '' for RAM-range addresses and invalid input", () => {
    expect(mmioDeviceName(0x10000000)).toBe(''); // lab VMM's MMIO page (no memslot there)
    expect(mmioDeviceName(0x1000)).toBe('');
    expect(mmioDeviceName(0x100000000)).toBe('');
    expect(mmioDeviceName(Number.NaN)).toBe('');
    expect(mmioDeviceName(-4)).toBe('');
  });
});
