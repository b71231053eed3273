/**
 * Connecting with esptool-js as its `main()` does — find the ROM, identify the chip, start the
 * stub, raise the baud rate, read the flash id — but with the stub optional (esptool's
 * `--no-stub`, which esptool-js lacks) and the identity returned as data.
 */
import { ClassicReset, ESPLoader, type Transport, UsbJtagSerialReset } from 'esptool-js';
import type { Before } from './flasher.ts';
import type { NodeSerialPort } from './port.ts';

export interface Identity {
  /** e.g. "ESP32-D0WDQ6-V3 (revision 3)". */
  chip: string;
  features: string[];
  crystal_mhz: number;
  mac: string;
  /** The SPI flash's JEDEC id (RDID), e.g. "0x1640ef". */
  flash_id: string;
  /** The size the id says ("4MB"), or null when it does not say. */
  flash_size: string | null;
}

export interface ConnectOptions {
  transport: Transport;
  port: NodeSerialPort;
  baud: number;
  stub: boolean;
  before: Before;
  attempts: number;
  log: (line: string) => void;
}

const ROM_BAUD = 115200;

export async function connect(
  options: ConnectOptions,
): Promise<{ loader: ESPLoader; identity: Identity }> {
  const { log } = options;
  let partial = '';
  const loader = new ESPLoader({
    transport: options.transport,
    baudrate: options.stub ? options.baud : ROM_BAUD,
    romBaudrate: ROM_BAUD,
    // Without modem lines (a PTY) a reset sequence is only its sleeps: skip them.
    resetConstructors: {
      classicReset: (transport, delay) =>
        options.port.modemLines ? new ClassicReset(transport, delay) : noReset,
      usbJTAGSerialReset: (transport) =>
        options.port.modemLines ? new UsbJtagSerialReset(transport) : noReset,
    },
    terminal: {
      clean: () => {},
      write: (text: string) => {
        partial += text;
      },
      writeLine: (text: string) => {
        const lines = (partial + text).split(/\r?\n\r?/);
        partial = '';
        for (const line of lines) if (line.trim()) log(line.trim());
      },
    },
  });
  await loader.detectChip(options.before, options.attempts);
  const chip = loader.chip;
  const identity = {
    chip: await chip.getChipDescription(loader),
    features: (await chip.getChipFeatures(loader)).map((f) => f.trim()),
    crystal_mhz: await chip.getCrystalFreq(loader),
    mac: await chip.readMac(loader),
  };
  if (chip.postConnect) await chip.postConnect(loader);
  if (options.stub || stubRunning(loader)) {
    // A stub still running from an interrupted flash answers SYNC itself: runStub knows it.
    await loader.runStub();
    // A PTY moves bytes at memory speed whatever its baud rate: changing it only costs time.
    if (loader.IS_STUB && options.baud !== ROM_BAUD && !options.port.pseudoTerminal) {
      await loader.changeBaud();
    }
  } else {
    // esptool-js sends the stub's 16 KiB blocks even to the ROM; esptool sends the ROM 1 KiB.
    loader.FLASH_WRITE_SIZE = chip.FLASH_WRITE_SIZE;
  }
  const id = (await loader.readFlashId()) >>> 0;
  const sizeId = (id >> 16) & 0xff;
  return {
    loader,
    identity: {
      ...identity,
      flash_id: `0x${id.toString(16).padStart(6, '0')}`,
      flash_size: loader.DETECTED_FLASH_SIZES[sizeId] ?? null,
    },
  };
}

/** esptool-js keeps it private: every SYNC answer carried 0, so the stub already runs. */
const stubRunning = (loader: ESPLoader) =>
  (loader as unknown as { syncStubDetected: boolean }).syncStubDetected;

const noReset = { reset: async () => {} } as unknown as ClassicReset;
