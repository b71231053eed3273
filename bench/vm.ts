/**
 * The runner VM's commands (results in docs/benchmarks.md):  npm run bench:vm
 *  - `hutctl codex status runner` over SSH (the test sshd on 127.0.0.1) vs the raw
 *    `ssh host codex login status` it replaces, both starting the same real codex (and, with
 *    HUTCTL_BENCH_BEFORE=<another build's dist/hutctl.cjs>, that build's, interleaved);
 *  - hutctl's own time in `vm create`: against the LXD double with operations that take no time
 *    and an agent that is up at once, so everything measured is hutctl's (and `node -e 0`'s).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, tempDir } from '../test/support/cli.ts';
import { LxdDouble } from '../test/support/lxd-double.ts';
import { startSshd } from '../test/support/sshd.ts';

// Not imported from test/support/codex/runner.ts: that module registers node:test hooks, which
// would start another sshd once the benchmark is done and keep the process from ending.
const CODEX = fileURLToPath(
  new URL(
    '../node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex',
    import.meta.url,
  ),
);

const ROUNDS = 10;
/** Another build's dist/hutctl.cjs, whose `codex status` is measured too, interleaved. */
const BEFORE = process.env.HUTCTL_BENCH_BEFORE;
const dir = tempDir('hutctl-bench-vm-');

function timed(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ms: number; code: number | null }> {
  const began = performance.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('close', (code) => resolve({ ms: performance.now() - began, code }));
  });
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

const sshd = await startSshd();
const double = await LxdDouble.start({ opMs: 0, agentPolls: 0 });
try {
  // codex status vs ssh … codex login status (a logged-in CODEX_HOME: an API key, offline).
  const home = join(dir, 'codex-home');
  mkdirSync(home, { recursive: true });
  await new Promise((resolve) => {
    const login = spawn(CODEX, ['login', '--with-api-key'], {
      env: { ...process.env, CODEX_HOME: home, HOME: home },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    login.stdin.end('sk-bench-0123456789abcdef\n');
    login.on('close', resolve);
  });
  const config = join(dir, 'hutctl.yaml');
  writeFileSync(
    config,
    `paths: {state_dir: ${join(dir, 'state')}}\ntargets:\n${sshd.targetYaml('runner', `    codex:\n      command: [${CODEX}, app-server]\n      codex_home: ${home}`)}\n`,
  );
  const env = { ...process.env, HUTCTL_CONFIG: config };
  const ssh = [
    'ssh',
    '-p',
    String(sshd.port),
    '-i',
    sshd.identityFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${sshd.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${join(dir, 'cm-%C')}`,
    '-o',
    'ControlPersist=60',
    `${sshd.user}@127.0.0.1`,
    `env CODEX_HOME=${home} ${CODEX} login status`,
  ];
  const status: number[] = [];
  const raw: number[] = [];
  const before: number[] = [];
  await timed([process.execPath, CLI, 'codex', 'status', 'runner'], env); // warm both connections
  await timed(ssh);
  if (BEFORE) await timed([process.execPath, BEFORE, 'codex', 'status', 'runner'], env);
  for (let i = 0; i < ROUNDS; i++) {
    const a = await timed([process.execPath, CLI, 'codex', 'status', 'runner'], env);
    if (a.code !== 0) throw new Error(`codex status exited ${a.code}`);
    status.push(a.ms);
    raw.push((await timed(ssh)).ms);
    if (BEFORE)
      before.push((await timed([process.execPath, BEFORE, 'codex', 'status', 'runner'], env)).ms);
  }
  // vm create's own time.
  const key = join(dir, 'runner_ed25519.pub');
  writeFileSync(key, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJlbmNoa2V5 bench\n');
  const vmConfig = join(dir, 'vm.yaml');
  const node: number[] = [];
  const creates: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    writeFileSync(
      vmConfig,
      `paths: {evidence_dir: ${dir}/evidence, state_dir: ${dir}/state}\nvms:\n  hil-runner:\n    ssh_public_key: ${key}\n    usb: {hut-01: {vendor: 10c4, product: ea60}}\n`,
    );
    double.instances.clear();
    const c = await timed([process.execPath, CLI, 'vm', 'create', 'hil-runner'], {
      ...process.env,
      HUTCTL_CONFIG: vmConfig,
      LXD_SOCKET: double.socket,
    });
    if (c.code !== 0) throw new Error(`vm create exited ${c.code}`);
    creates.push(c.ms);
    node.push((await timed([process.execPath, '-e', '0'])).ms);
  }
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; ${new Date().toISOString()}`,
  );
  console.log('| benchmark | measured (median of 10) | ratio | target |\n|---|---|---|---|');
  console.log(
    `| \`hutctl codex status runner\` vs \`ssh host codex login status\` (shared connection, test sshd) | ${median(status).toFixed(0)} ms vs ${median(raw).toFixed(0)} ms | ${(median(status) / median(raw)).toFixed(2)}× | ≤ 1.3× |`,
  );
  if (BEFORE)
    console.log(
      `| the same with ${BEFORE} | ${median(before).toFixed(0)} ms vs ${median(raw).toFixed(0)} ms | ${(median(before) / median(raw)).toFixed(2)}× | ≤ 1.3× |`,
    );
  console.log(
    `| \`hutctl vm create\`, server operations taking no time (own time), vs \`node -e 0\` | ${median(creates).toFixed(0)} ms vs ${median(node).toFixed(0)} ms | +${(median(creates) - median(node)).toFixed(0)} ms | ≤ 1 s of its own |`,
  );
} finally {
  await double.close();
  await sshd.stop();
}
