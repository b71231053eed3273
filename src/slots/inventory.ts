/**
 * The serial inventory: every link in /dev/serial/by-id (or a configured root), what it points
 * to now, and what the USB descriptors say about it (from sysfs when the device is real).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export interface SerialDevice {
  /** The link's name, e.g. usb-Silicon_Labs_CP2102N_..._a4c1-if00-port0. */
  name: string;
  /** The stable path (the link itself). */
  path: string;
  /** What the link resolves to now (/dev/ttyUSB0, /dev/pts/3), or null when dangling. */
  tty: string | null;
  /** Model and serial number as the link's name spells them. */
  model: string | null;
  serial_number: string | null;
  interface: string | null;
  /** USB ids from sysfs, when the tty is a real USB device. */
  vendor_id: string | null;
  product_id: string | null;
}

export async function scanSerial(byIdDir: string): Promise<SerialDevice[]> {
  let names: string[];
  try {
    names = (await readdir(byIdDir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return Promise.all(names.map((name) => describeLink(join(byIdDir, name))));
}

export async function describeLink(path: string): Promise<SerialDevice> {
  const name = basename(path);
  let tty: string | null = null;
  try {
    tty = await realpath(path);
  } catch {
    // dangling: the device went away but the link is still there
    try {
      tty = resolve(dirname(path), await readlink(path));
      if (!existsSync(tty)) tty = null;
    } catch {}
  }
  const parsed = /^usb-(.+)_([^_]+)-if(\d+)(?:-port\d+)?$/.exec(name);
  const ids = tty ? usbIds(basename(tty)) : null;
  return {
    name,
    path,
    tty,
    model: parsed?.[1] ?? null,
    serial_number: parsed?.[2] ?? null,
    interface: parsed?.[3] ?? null,
    vendor_id: ids?.vendor ?? null,
    product_id: ids?.product ?? null,
  };
}

/** idVendor/idProduct of the USB device above /sys/class/tty/<tty>, if there is one. */
function usbIds(tty: string): { vendor: string; product: string } | null {
  let dir = `/sys/class/tty/${tty}/device`;
  for (let depth = 0; depth < 6; depth++) {
    const vendor = join(dir, 'idVendor');
    if (existsSync(vendor)) {
      return {
        vendor: readFileSync(vendor, 'utf8').trim(),
        product: readFileSync(join(dir, 'idProduct'), 'utf8').trim(),
      };
    }
    dir = join(dir, '..');
    if (!existsSync(dir)) return null;
  }
  return null;
}
