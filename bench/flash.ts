/**
 * The built-in flasher through the simulated ROM vs the PTY itself (results in
 * docs/benchmarks.md):  npm run bench:flash
 * A 1 MiB image (random bytes: deflate cannot shrink them, the worst case) flashed into a board
 * of `hutctl sim up` with the stub, compressed and not, each run from the ROM (connect, stub
 * upload, write, MD5 verify, back to the ROM); against pushing the same 1 MiB raw through the
 * same kind of socat PTY.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { flashImages, NodeSerialPort } from '../src/flash/index.ts';
import { CLI, tempDir } from '../test/support/cli.ts';

const SIZE = 1 << 20;
const ROUNDS = 5;
const dir = tempDir('hutctl-bench-flash-');
const image = join(dir, 'app.bin');
const bytes = randomBytes(SIZE);
writeFileSync(image, bytes);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** 1 MiB written to a socat PTY (as a board's) until socat has handed all of it on. */
async function rawPush(): Promise<number> {
  const link = join(dir, `raw-${Math.random().toString(36).slice(2)}`);
  const socat = spawn('socat', [`pty,raw,echo=0,link=${link}`, 'STDIO'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  for (let i = 0; i < 200 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 10));
  const port = new NodeSerialPort(link);
  await port.open({ baudRate: 460800 });
  let got = 0;
  const began = performance.now();
  const all = new Promise<void>((resolve) =>
    socat.stdout!.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= SIZE) resolve();
    }),
  );
  const writer = port.writable!.getWriter();
  await writer.write(bytes);
  await all;
  const ms = performance.now() - began;
  writer.releaseLock();
  await port.close();
  socat.kill();
  return ms;
}

/** One flash of the image through the farm's board; `no_reset` hands back to the ROM after. */
async function flash(port: string, compress: boolean): Promise<{ total: number; write: number }> {
  let writeBegan = 0;
  let writeEnded = 0;
  const began = performance.now();
  await flashImages({
    port,
    files: [{ offset: 0x10000, path: image }],
    compress,
    after: 'no_reset',
    progress: (p) => {
      if (p.phase === 'write' && !writeBegan) writeBegan = performance.now();
      if (p.phase === 'verify') writeEnded = performance.now();
    },
  });
  return { total: performance.now() - began, write: writeEnded - writeBegan };
}

// The farm runs in a process of its own, as `hutctl sim up` does for a user.
const sim = spawn(
  process.execPath,
  [CLI, 'sim', 'up', '--dir', join(dir, 'farm'), '--slots', '1', '--json'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const state = await new Promise<{ slots: Record<string, { link: string }> }>((resolve) => {
  let out = '';
  sim.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    try {
      resolve(JSON.parse(out));
    } catch {}
  });
});
const port = state.slots['hut-01']!.link;
await new Promise((r) => setTimeout(r, 300)); // its boot log is out
const raw: number[] = [];
const runs = {
  compressed: [] as { total: number; write: number }[],
  plain: [] as { total: number; write: number }[],
};
for (let round = 0; round < ROUNDS; round++) {
  raw.push(await rawPush());
  runs.compressed.push(await flash(port, true));
  runs.plain.push(await flash(port, false));
}
sim.kill('SIGTERM');
const rawMs = median(raw);
const mibps = (ms: number) => (SIZE / 2 ** 20 / (ms / 1000)).toFixed(2);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}`);
console.log(`| benchmark | measured (median of ${ROUNDS}) | ratio | target |\n|---|---|---|---|`);
console.log(
  `| 1 MiB raw through a board's socat PTY | ${rawMs.toFixed(0)} ms (${mibps(rawMs)} MiB/s) | – | – |`,
);
for (const [name, list] of Object.entries(runs)) {
  const total = median(list.map((r) => r.total));
  const write = median(list.map((r) => r.write));
  console.log(
    `| flash 1 MiB through the simulated ROM + stub, ${name} (whole run: connect, stub, write, MD5; write alone) | ${total.toFixed(0)} ms; ${write.toFixed(0)} ms | ${((100 * rawMs) / total).toFixed(0)} % of raw; ${((100 * rawMs) / write).toFixed(0)} % | ≥ 30 % |`,
  );
}
