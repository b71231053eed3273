/**
 * Unpacking a downloaded zip (a GitHub Actions artifact) from disk, as hostile input: the central
 * directory is read and every entry checked before a byte is written — names through the one
 * relative-path rule (no `../x`, `/abs`, `a/../../x`, backslashes), no links or special files,
 * no encryption, no zip64, a bounded count and total size — then each file is inflated as a
 * stream, stopped the moment it grows past its declared size, and checked against its CRC-32.
 */

import { createWriteStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HutError } from '../errors/index.ts';
import { makeDirs } from '../files/dirs.ts';
import { pathUnder, relativePathProblem } from '../files/index.ts';
import { formatBytes, oneLine } from '../format/index.ts';

export interface ZipLimits {
  maxEntries: number;
  /** The most bytes all files together may unpack to. */
  maxBytes: number;
}

interface Entry {
  name: string;
  directory: boolean;
  method: number;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * Unpacks the zip at `zipPath` into `dir` (new or empty), each file at its relative path; returns
 * the file names. Any problem is one ARTIFACT error starting with `label`, and then nothing, or
 * only files inside `dir`, was written.
 */
export async function unzipInto(
  zipPath: string,
  dir: string,
  label: string,
  limits: ZipLimits,
): Promise<string[]> {
  const bad = (problem: string) => new HutError('ARTIFACT', `${label}: ${problem}`);
  const handle = await open(zipPath, 'r');
  try {
    const entries = await readCentralDirectory(handle, bad, limits);
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.directory) continue;
      const target = pathUnder(dir, ...entry.name.split('/'));
      makeDirs(dirname(target));
      await extract(handle, entry, target, bad);
      names.push(entry.name);
    }
    return names;
  } finally {
    await handle.close();
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

async function readCentralDirectory(
  handle: FileHandle,
  bad: (problem: string) => HutError,
  limits: ZipLimits,
): Promise<Entry[]> {
  const { size } = await handle.stat();
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(handle, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('not a zip archive (no end of central directory)');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
    throw bad('a zip64 archive (not supported)');
  if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 8) !== count)
    throw bad('a multi-part zip archive (not supported)');
  if (count > limits.maxEntries) throw bad(`more than ${limits.maxEntries} entries`);
  if (cdOffset + cdSize > size - tailLength + eocd) throw bad('a corrupt central directory');
  const cd = await readAt(handle, cdOffset, cdSize);
  const entries: Entry[] = [];
  const seen = new Map<string, boolean>();
  let total = 0;
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== CENTRAL)
      throw bad('a corrupt central directory');
    const madeBy = cd.readUInt16LE(at + 4) >> 8;
    const flags = cd.readUInt16LE(at + 8);
    const nameLength = cd.readUInt16LE(at + 28);
    const end = at + 46 + nameLength + cd.readUInt16LE(at + 30) + cd.readUInt16LE(at + 32);
    if (end > cd.length) throw bad('a corrupt central directory');
    const raw = cd.subarray(at + 46, at + 46 + nameLength);
    const name = decodeName(raw, (flags & 0x800) !== 0);
    const shown = JSON.stringify(oneLine(name ?? raw.toString('latin1'), 120));
    if (name === null) throw bad(`entry ${shown}: its name is not valid UTF-8`);
    const directory = name.endsWith('/');
    const problem = relativePathProblem(directory ? name.slice(0, -1) : name);
    if (problem) throw bad(`entry ${shown}: ${problem}`);
    const mode = (cd.readUInt32LE(at + 38) >>> 16) & S_IFMT;
    if (madeBy === 3 && mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR)
      throw bad(`entry ${shown}: ${mode === 0o120000 ? 'a symbolic link' : 'a special file'}`);
    if (flags & 0x1) throw bad(`entry ${shown}: encrypted`);
    const entry: Entry = {
      name: directory ? name.slice(0, -1) : name,
      directory,
      method: cd.readUInt16LE(at + 10),
      crc: cd.readUInt32LE(at + 16),
      compressed: cd.readUInt32LE(at + 20),
      size: cd.readUInt32LE(at + 24),
      offset: cd.readUInt32LE(at + 42),
    };
    if (entry.compressed === 0xffffffff || entry.size === 0xffffffff || entry.offset === 0xffffffff)
      throw bad(`entry ${shown}: zip64 sizes (not supported)`);
    if (!directory && entry.method !== 0 && entry.method !== 8)
      throw bad(`entry ${shown}: compression method ${entry.method} (only stored and deflate)`);
    if (seen.get(entry.name) === false && !directory) throw bad(`entry ${shown}: named twice`);
    total += entry.size;
    if (total > limits.maxBytes)
      throw bad(`its files would unpack to more than ${formatBytes(limits.maxBytes)}`);
    if (!directory) seen.set(entry.name, false);
    entries.push(entry);
    at = end;
  }
  // A name that is a file and also the directory of another file cannot be unpacked.
  for (const entry of entries) {
    const parts = entry.name.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const prefix = parts.slice(0, depth).join('/');
      if (seen.get(prefix) === false)
        throw bad(`entry ${JSON.stringify(oneLine(prefix, 120))} is a file and a directory`);
    }
  }
  return entries;
}

// ignoreBOM keeps a leading U+FEFF in the name instead of dropping it (the name is what it is).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeName(raw: Buffer, isUtf8: boolean): string | null {
  if (!isUtf8 && raw.every((b) => b < 0x80)) return raw.toString('latin1');
  try {
    return utf8.decode(raw);
  } catch {
    return isUtf8 ? null : raw.toString('latin1');
  }
}

async function extract(
  handle: FileHandle,
  entry: Entry,
  target: string,
  bad: (problem: string) => HutError,
): Promise<void> {
  const shown = JSON.stringify(oneLine(entry.name, 120));
  const local = await readAt(handle, entry.offset, 30);
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL)
    throw bad(`entry ${shown}: a corrupt local header`);
  const start = entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const { crc32, createInflateRaw } = await import('node:zlib');
  let size = 0;
  let crc = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      crc = crc32(chunk, crc);
      if (size > entry.size)
        callback(bad(`entry ${shown}: unpacks to more than its declared ${entry.size} bytes`));
      else callback(null, chunk);
    },
  });
  const source =
    entry.compressed === 0
      ? Readable.from([])
      : handle.createReadStream({ start, end: start + entry.compressed - 1, autoClose: false });
  const out = createWriteStream(target, { flags: 'wx', mode: 0o644 });
  try {
    if (entry.method === 8) await pipeline(source, createInflateRaw(), check, out);
    else await pipeline(source, check, out);
  } catch (error) {
    if (error instanceof HutError) throw error;
    if ((error as NodeJS.ErrnoException).path) throw error;
    throw bad(`entry ${shown}: corrupt data (${oneLine((error as Error).message, 80)})`);
  }
  if (size !== entry.size || crc !== entry.crc)
    throw bad(`entry ${shown}: corrupt data (size or CRC-32 does not match)`);
}
