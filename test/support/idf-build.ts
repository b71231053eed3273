/**
 * Realistic ESP-IDF builds for tests, the demo and benchmarks: `writeIdfBuild(dir, options)` writes
 * `dir/build/` as ESP-IDF lays it out — bootloader, partition table, app, otadata, flash_args and
 * flasher_args.json in the v5 or v6 spelling — with valid images (the app's first DROM segment
 * starting with its `esp_app_desc_t`), deterministic for a seed, optionally damaged in one place.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type AppDescription,
  type BootloaderDescription,
  buildAppDescription,
  buildBootloaderDescription,
  buildImage,
  buildOtadata,
  buildPartitionTable,
  CHIP_IDS,
  type FlashFreq,
  type FlashMode,
  type FlashSize,
  type PartitionSpec,
  parseImage,
  singleAppPartitions,
  twoOtaPartitions,
} from '../../src/esp32/index.ts';

export type Corruption = 'app-segment' | 'app-checksum' | 'bootloader-magic' | 'partition-md5';

export interface IdfBuildOptions {
  project?: string;
  /** PROJECT_VER; cut to 31 bytes in the app description, as ESP-IDF cuts it. */
  version?: string;
  idfVersion?: string;
  /** Bytes of `<project>.bin` (rounded up to 16); at least about 80 KiB. */
  appSize?: number;
  layout?: 'factory' | 'two-ota';
  /** v5: `--flash_mode`, `hard_reset`; v6: `--flash-mode`, `hard-reset`. */
  style?: 'v5' | 'v6';
  corrupt?: Corruption;
  /** The chip the build is for (flasher_args.json's `chip`, and the images' chip id). */
  chip?: keyof typeof CHIP_IDS;
  /** Chip id written into both image headers, when it should differ from `chip`'s. */
  chipId?: number;
  seed?: number;
  flashMode?: FlashMode;
  flashSize?: FlashSize;
  flashFreq?: FlashFreq;
  entry?: number;
  /** `__TIME__` / `__DATE__` of the build. */
  time?: string;
  date?: string;
  /** Newer bootloaders carry an `esp_bootloader_desc_t`; IDF v5.0 ones do not. */
  bootloaderDesc?: boolean;
}

export interface IdfBuildFile {
  offset: number;
  /** Relative to the build directory. */
  path: string;
}

export interface IdfBuild {
  buildDir: string;
  project: string;
  settings: { flashMode: FlashMode; flashSize: FlashSize; flashFreq: FlashFreq };
  bootloader: IdfBuildFile;
  partitionTable: IdfBuildFile;
  app: IdfBuildFile;
  otadata: IdfBuildFile | null;
  /** Every file written, relative to the build directory, sorted. */
  files: string[];
  partitions: PartitionSpec[];
  appDesc: AppDescription;
  bootloaderDesc: BootloaderDescription | null;
  appImage: { entry: number; size: number; segments: { addr: number; length: number }[] };
  bootloaderImage: { entry: number; segments: { addr: number; length: number }[] };
  /** The damaged byte, if `corrupt` asked for one. */
  corruption: { path: string; offset: number } | null;
}

/** §5.1's example bootloader: one `load:` line per segment, `entry 0x400805f0`. */
const BOOTLOADER_SEGMENTS = [
  { addr: 0x3fff0030, length: 1344 },
  { addr: 0x40078000, length: 13964 },
  { addr: 0x40080400, length: 3600 },
];
const BOOTLOADER_ENTRY = 0x400805f0;

export function writeIdfBuild(dir: string, options: IdfBuildOptions = {}): IdfBuild {
  const project = options.project ?? 'hello_world';
  const layout = options.layout ?? 'factory';
  const style = options.style ?? 'v5';
  const seed = options.seed ?? 1;
  const random = prng(seed);
  const settings = {
    flashMode: options.flashMode ?? 'dio',
    flashSize: options.flashSize ?? (layout === 'two-ota' ? '4MB' : '2MB'),
    flashFreq: options.flashFreq ?? '40m',
  } satisfies IdfBuild['settings'];
  const chipId = options.chipId ?? CHIP_IDS[options.chip ?? 'esp32'];
  const header = { ...settings, chipId, hashAppended: true };
  const time = options.time ?? '12:00:00';
  const date = options.date ?? 'Jan  1 2025';
  const idfVer = options.idfVersion ?? 'v5.5.5';

  const appDesc: AppDescription = {
    secureVersion: 0,
    version: cut(options.version ?? '1.0.0', 31),
    projectName: cut(project, 31),
    time,
    date,
    idfVer,
    appElfSha256: createHash('sha256').update(`${seed}:${project}:elf`).digest('hex'),
    minEfuseBlkRevFull: 0,
    maxEfuseBlkRevFull: 0,
    mmuPageSize: 16,
    spiFlashMode: 0,
  };
  const appDescBytes = buildAppDescription(appDesc);
  const app = buildImage({
    ...header,
    entry: options.entry ?? 0x400811f4,
    segments: appSegments(options.appSize ?? 180064, appDescBytes, random),
  });
  const bootloaderDesc =
    options.bootloaderDesc === false
      ? null
      : { secureVersion: 0, version: 1, idfVer, dateTime: `${date} ${time}` };
  const bootloader = buildImage({
    ...header,
    entry: BOOTLOADER_ENTRY,
    segments: BOOTLOADER_SEGMENTS.map((s, i) => {
      const data = random(s.length);
      if (i === 0 && bootloaderDesc) data.set(buildBootloaderDescription(bootloaderDesc));
      return { addr: s.addr, data };
    }),
  });
  const partitions = layout === 'two-ota' ? twoOtaPartitions() : singleAppPartitions();
  const table = buildPartitionTable(partitions);

  const files = {
    bootloader: { offset: 0x1000, path: 'bootloader/bootloader.bin' },
    partitionTable: { offset: 0x8000, path: 'partition_table/partition-table.bin' },
    app: {
      offset: partitions.find((p) => p.subtype === 'factory')!.offset,
      path: `${project}.bin`,
    },
    otadata: null as IdfBuildFile | null,
  };
  const otadataPartition = partitions.find((p) => p.type === 'data' && p.subtype === 'ota');
  if (otadataPartition)
    files.otadata = { offset: otadataPartition.offset, path: 'ota_data_initial.bin' };

  const corruption = corrupt(options.corrupt, { app, bootloader, table }, files, random);
  const buildDir = join(dir, 'build');
  const written: Record<string, Uint8Array | string> = {
    [files.bootloader.path]: bootloader,
    [files.partitionTable.path]: table,
    [files.app.path]: app,
  };
  if (files.otadata) written[files.otadata.path] = buildOtadata();
  // ESP-IDF registers the images in this order; v6 registers the partition table before the app.
  const named: [string, IdfBuildFile][] = [
    ['bootloader', files.bootloader],
    ...((style === 'v6'
      ? [
          ['partition-table', files.partitionTable],
          ['app', files.app],
        ]
      : [
          ['app', files.app],
          ['partition-table', files.partitionTable],
        ]) as [string, IdfBuildFile][]),
  ];
  if (files.otadata) named.push(['otadata', files.otadata]);
  written.flash_args = flashArgsText(settings, named, style);
  written['flasher_args.json'] = flasherArgsJsonText(
    settings,
    named,
    style,
    options.chip ?? 'esp32',
  );
  for (const [path, content] of Object.entries(written)) {
    mkdirSync(dirname(join(buildDir, path)), { recursive: true });
    writeFileSync(join(buildDir, path), content);
  }

  const segmentsOf = (bytes: Uint8Array) =>
    parseImage(bytes)?.segments.map((s) => ({ addr: s.loadAddr, length: s.length })) ?? [];
  return {
    buildDir,
    project,
    settings,
    ...files,
    files: Object.keys(written).sort(),
    partitions,
    appDesc,
    bootloaderDesc,
    appImage: {
      entry: options.entry ?? 0x400811f4,
      size: app.length,
      segments: segmentsOf(app),
    },
    bootloaderImage: { entry: BOOTLOADER_ENTRY, segments: segmentsOf(bootloader) },
    corruption,
  };
}

/**
 * An app laid out as elf2image lays out an ESP32 app: DROM (starting with the app description),
 * DRAM, IRAM filling up to where IROM's data keeps its 64 KiB phase (0x400d0020 at file offset
 * 0x10020), IROM, the rest of IRAM. IROM takes up whatever makes the file `appSize` bytes.
 */
function appSegments(appSize: number, desc: Uint8Array, random: (n: number) => Uint8Array) {
  const size = (appSize + 15) & ~15;
  const drom = random(0x4000 + 4 * Math.floor(random(1)[0]! * 16));
  drom.set(desc);
  const dram = random(0x1000 + 4 * random(1)[0]!);
  const iramTail = random(0x2000 + 4 * random(1)[0]!);
  const iromHeader = 0x10018; // so that its data starts at 0x10020
  const iramHead = iromHeader - (24 + 8 + drom.length + 8 + dram.length + 8);
  // After the last segment: 15 zero bytes, the checksum byte, and the 32-byte SHA-256.
  const iromLength = size - 48 - (iromHeader + 8) - 8 - iramTail.length;
  if (iromLength < 4)
    throw new RangeError(`an app image is at least ${size - iromLength + 4} bytes here`);
  return [
    { addr: 0x3f400020, data: drom },
    { addr: 0x3ffb0000, data: dram },
    { addr: 0x40080000, data: codeLike(random, iramHead) },
    { addr: 0x400d0020, data: codeLike(random, iromLength) },
    { addr: 0x40080000 + iramHead, data: iramTail },
  ];
}

function corrupt(
  kind: Corruption | undefined,
  images: { app: Uint8Array; bootloader: Uint8Array; table: Uint8Array },
  files: { app: IdfBuildFile; bootloader: IdfBuildFile; partitionTable: IdfBuildFile },
  random: (n: number) => Uint8Array,
): IdfBuild['corruption'] {
  if (!kind) return null;
  const flip = (bytes: Uint8Array, offset: number, path: string) => {
    bytes[offset]! ^= 0x01;
    return { path, offset };
  };
  const image = parseImage(images.app)!;
  switch (kind) {
    case 'app-segment': {
      const irom = image.segments[3]!;
      const at = irom.dataOffset + (((random(1)[0]! << 8) | random(1)[0]!) % irom.length);
      return flip(images.app, at, files.app.path);
    }
    case 'app-checksum':
      return flip(images.app, image.checksum.offset, files.app.path);
    case 'bootloader-magic':
      return flip(images.bootloader, 0, files.bootloader.path);
    case 'partition-md5': {
      // The MD5 entry follows the last partition; its digest is its second half.
      let md5 = 0;
      while (images.table[md5] === 0xaa) md5 += 32;
      return flip(images.table, md5 + 16, files.partitionTable.path);
    }
  }
}

function flashArgsText(
  settings: IdfBuild['settings'],
  named: [string, IdfBuildFile][],
  style: 'v5' | 'v6',
): string {
  const o = (name: string) => (style === 'v6' ? `--flash-${name}` : `--flash_${name}`);
  const first = `${o('mode')} ${settings.flashMode} ${o('freq')} ${settings.flashFreq} ${o('size')} ${settings.flashSize}`;
  return `${[first, ...named.map(([, f]) => `0x${f.offset.toString(16)} ${f.path}`)].join('\n')}\n`;
}

/** The layout of ESP-IDF's `flasher_args.json.in`, key for key and space for space. */
function flasherArgsJsonText(
  settings: IdfBuild['settings'],
  named: [string, IdfBuildFile][],
  style: 'v5' | 'v6',
  chip: string,
): string {
  const o = (name: string) => (style === 'v6' ? `--flash-${name}` : `--flash_${name}`);
  const dash = (text: string) => (style === 'v6' ? text.replace('_', '-') : text);
  const offset = (f: IdfBuildFile) => `0x${f.offset.toString(16)}`;
  const lines = [
    '{',
    `    "write_flash_args" : [ "${o('mode')}", "${settings.flashMode}",`,
    `                           "${o('size')}", "${settings.flashSize}",`,
    `                           "${o('freq')}", "${settings.flashFreq}" ],`,
    '    "flash_settings" : {',
    `        "flash_mode": "${settings.flashMode}",`,
    `        "flash_size": "${settings.flashSize}",`,
    `        "flash_freq": "${settings.flashFreq}"`,
    '    },',
    '    "flash_files" : {',
    named.map(([, f]) => `        "${offset(f)}" : "${f.path}"`).join(',\n'),
    '    },',
    ...named.map(
      ([name, f]) =>
        `    "${name}" : { "offset" : "${offset(f)}", "file" : "${f.path}", "encrypted" : "false" },`,
    ),
    '    "extra_esptool_args" : {',
    `        "after"  : "${dash('hard_reset')}",`,
    `        "before" : "${dash('default_reset')}",`,
    '        "stub"   : true,',
    `        "chip"   : "${chip}"`,
    '    }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

/** `text` cut to `bytes` UTF-8 bytes, never inside a character (as a C string field cuts it). */
function cut(text: string, bytes: number): string {
  const chars = Array.from(text);
  while (Buffer.byteLength(chars.join('')) > bytes) chars.pop();
  return chars.join('');
}

/**
 * Bytes that compress as firmware does (zlib -9 to ~0.65, as esptool's "Wrote 1527632 bytes
 * (990167 compressed)" for an ESP32 firmware in esptool issue #870; uniform random bytes would
 * not compress at all): phrases of 6–29 bytes from a vocabulary of 4096, the common ones used
 * often (instruction sequences the compiler repeats), and a 4-byte literal (an address, a
 * constant) about every third time.
 */
function codeLike(random: (n: number) => Uint8Array, length: number): Uint8Array {
  const sizes = random(4096);
  const vocabulary = Array.from(sizes, (n) => random(6 + (n % 24)));
  // Two dice per piece (literal or phrase, which phrase); a piece is at least 4 bytes.
  const dice = new Uint32Array(random(2 * length + 8).buffer);
  const out = new Uint8Array(length);
  let roll = 0;
  for (let at = 0; at < length; ) {
    const literal = dice[roll++]! / 2 ** 32 < 0.3;
    const which = dice[roll++]! / 2 ** 32;
    const piece = literal
      ? dice.subarray(roll - 1, roll)
      : vocabulary[Math.floor(4096 * which ** 2.5)]!;
    const bytes =
      piece instanceof Uint32Array ? new Uint8Array(piece.buffer, piece.byteOffset, 4) : piece;
    const part = bytes.subarray(0, length - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A deterministic byte source (mulberry32), so one seed gives one build. */
function prng(seed: number): (n: number) => Uint8Array {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return (n: number) => {
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) words[i] = next();
    return new Uint8Array(words.buffer, 0, n);
  };
}
