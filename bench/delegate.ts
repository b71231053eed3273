/**
 * hutctl's overhead on a scripted two-call turn (a command, then the final message) against the
 * same turn driven by a minimal client speaking the App Server protocol directly; both start
 * the real codex in the loopback-only sandbox with the mock Responses API.  npm run bench:delegate
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLI, tempDir } from '../test/support/cli.ts';

const CODEX = fileURLToPath(
  new URL(
    '../node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex',
    import.meta.url,
  ),
);
const SANDBOX = fileURLToPath(new URL('../test/support/codex/sandbox.mjs', import.meta.url));
const dir = tempDir('hutctl-bench-codex-');
const home = join(dir, 'codex-home');
const work = join(dir, 'work');
mkdirSync(work, { recursive: true });
const command = ['unshare', '-n', '--', process.execPath, SANDBOX, CODEX, home, 'app-server'];
writeFileSync(
  join(dir, 'hutctl.yaml'),
  `targets:\n  runner:\n    transport: local\n    workdir: ${work}\n    codex:\n      command: [${command.join(', ')}]\npaths: {evidence_dir: ${join(dir, 'evidence')}, state_dir: ${join(dir, 'state')}, cancel_dir: ${join(dir, 'cancel')}}\n`,
);

/** The minimal client: initialize, thread/start, turn/start, wait for turn/completed, close. */
function direct(): Promise<number> {
  const began = performance.now();
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
  const send = (m: unknown) => child.stdin.write(`${JSON.stringify(m)}\n`);
  let thread = '';
  return new Promise((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as {
        id?: number;
        method?: string;
        result?: { thread?: { id: string } };
      };
      if (m.id === 0 && !m.method) {
        send({ method: 'initialized' });
        send({
          method: 'thread/start',
          id: 1,
          params: { cwd: work, approvalPolicy: 'never', sandbox: 'danger-full-access' },
        });
      } else if (m.id === 1 && !m.method) {
        thread = m.result!.thread!.id;
        send({
          method: 'turn/start',
          id: 2,
          params: {
            threadId: thread,
            input: [{ type: 'text', text: 'RUN:echo bench', text_elements: [] }],
          },
        });
      } else if (m.method === 'turn/completed') child.stdin.end();
    });
    child.on('close', () => resolve(performance.now() - began));
    send({
      method: 'initialize',
      id: 0,
      params: {
        clientInfo: { name: 'bench', title: 'bench', version: '0' },
        capabilities: { experimentalApi: false },
      },
    });
  });
}

function viaHutctl(): number {
  const began = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      '--config',
      join(dir, 'hutctl.yaml'),
      'delegate',
      'runner',
      '--prompt',
      'RUN:echo bench',
      '--timeout',
      '30',
    ],
    { stdio: 'ignore' },
  );
  if (r.status !== 0) throw new Error(`hutctl delegate exited ${r.status}`);
  return performance.now() - began;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const d: number[] = [];
const h: number[] = [];
await direct();
viaHutctl();
for (let i = 0; i < 10; i++) {
  d.push(await direct());
  h.push(viaHutctl());
}
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}`);
console.log('| benchmark | measured (median of 10) | ratio | target |\n|---|---|---|---|');
console.log(
  `| \`hutctl delegate\`, a two-call turn, vs a minimal protocol client | ${median(h).toFixed(0)} ms vs ${median(d).toFixed(0)} ms | ${(median(h) / median(d)).toFixed(2)}× | ≤ 1.3× |`,
);
