/**
 * The runner VM's commands (results in docs/benchmarks.md):  npm run bench:vm
 *  - `hutctl codex status runner` over SSH (the test sshd on 127.0.0.1) vs the raw
 *    `ssh host codex login status` it replaces, both starting the same real codex (and, with
 *    HUTCTL_BENCH_BEFORE=<another build's dist/hutctl.cjs>, that build's, interleaved);
 *  - hutctl's own time in `vm create`: against the LXD double with operations that take no time
 *    and an agent that is up at once, so everything measured is hutctl's (and `node -e 0`'s);
 *  - and against the real LXD daemon (test/support/lxd.ts; containers, since this machine cannot
 *    run its VMs): `vm create` of a `type: container` from the local busybox image vs the same
 *    server operations — the same POST body, start, state polled until a global address, exec of
 *    `cloud-init status --wait` (not in that image) and of `cat` of the host key — done by the
 *    `lxc` client and by a bare in-process client, interleaved, the instance deleted between runs.
 *    hutctl's own time is what it takes beyond the bare client.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { requireConfig } from '../src/config/index.ts';
import { LxdClient } from '../src/lxd/client.ts';
import { instanceBody } from '../src/vm/index.ts';
import { CLI, tempDir } from '../test/support/cli.ts';
import { lxdUnavailable, type RealLxd, startLxd } from '../test/support/lxd.ts';
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
  const real = lxdUnavailable() ?? (await realDaemon(key));
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${new Date().toISOString()}`,
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
  if (typeof real === 'string') console.log(`\nthe real LXD daemon: skipped (${real})`);
  else {
    const [h, l, b] = [median(real.hutctl), median(real.lxc), median(real.bare)];
    console.log(
      `| \`hutctl vm create\` of a container, real LXD daemon, vs the same operations by a bare client (own time) | ${h.toFixed(0)} ms vs ${b.toFixed(0)} ms | +${(h - b).toFixed(0)} ms (${(h / b).toFixed(2)}×) | ≤ 1 s of its own |`,
    );
    console.log(
      `| the same vs the \`lxc\` client (query POST, start, state polled, exec, exec) | ${h.toFixed(0)} ms vs ${l.toFixed(0)} ms | +${(h - l).toFixed(0)} ms (${(h / l).toFixed(2)}×) | – |`,
    );
    console.log(
      `\nreal daemon, each run (ms): hutctl ${real.hutctl.map((v) => v.toFixed(0)).join(' ')}; lxc ${real.lxc.map((v) => v.toFixed(0)).join(' ')}; bare ${real.bare.map((v) => v.toFixed(0)).join(' ')}`,
    );
  }
} finally {
  await double.close();
  await sshd.stop();
}

/**
 * `vm create` of a container on the real daemon vs the same server operations by `lxc` and by a
 * bare in-process client, ROUNDS each, interleaved; the instance deleted (untimed) after each.
 */
async function realDaemon(
  publicKey: string,
): Promise<{ hutctl: number[]; lxc: number[]; bare: number[] }> {
  const lxd: RealLxd = await startLxd();
  try {
    const env = { ...process.env, LXD_DIR: join(lxd.dir, 'lxd') };
    const name = 'bench-ct';
    const yaml = join(dir, 'ct.yaml');
    const text = `paths: {evidence_dir: ${dir}/evidence, state_dir: ${dir}/state}\nvms:\n  ${name}:\n    type: container\n    image: ${lxd.image}\n    image_server: local\n    network: ${lxd.network}\n    cpu: 1\n    memory: 256MiB\n    disk: 1GiB\n    ssh_public_key: ${publicKey}\n    usb: {hut-01: {vendor: 10c4, product: ea60}}\n`;
    writeFileSync(yaml, text);
    const spec = (await requireConfig({ configPath: yaml })).vms[name]!;
    const client = new LxdClient(lxd.socket);
    const body = instanceBody(spec, await client.server(), readFileSync(publicKey, 'utf8').trim());
    const path = `/1.0/instances/${name}`;
    const remove = () =>
      timed(['lxc', 'delete', '--force', name], env).then((r) => {
        if (r.code !== 0) throw new Error(`lxc delete exited ${r.code}`);
      });
    // What `vm create` asks of this server (LXD 5.0.2: no instance_create_start, so a start).
    const lxcScript = [
      'set -e',
      `lxc query -X POST --wait /1.0/instances --data "$1" >/dev/null`,
      `lxc start ${name}`,
      `until lxc query ${path}/state | grep -q '"scope": "global"'; do sleep 0.05; done`,
      `lxc exec ${name} -- cloud-init status --wait >/dev/null 2>&1 || true`,
      `lxc exec ${name} -- cat /etc/ssh/ssh_host_ed25519_key.pub >/dev/null`,
    ].join('\n');
    const bare = async () => {
      const began = performance.now();
      await client.run('POST', '/1.0/instances', body);
      await client.run('PUT', `${path}/state`, { action: 'start', timeout: 60 });
      for (;;) {
        const state = (await client.get(`${path}/state`)) as {
          network?: Record<string, { addresses?: { family: string; scope: string }[] }> | null;
        };
        const up = Object.values(state.network ?? {}).some((n) =>
          n.addresses?.some((a) => a.family === 'inet' && a.scope === 'global'),
        );
        if (up) break;
        await sleep(50);
      }
      await client.exec(name, ['cloud-init', 'status', '--wait']);
      const key = await client.exec(name, ['cat', '/etc/ssh/ssh_host_ed25519_key.pub']);
      if (key.return !== 0) throw new Error('the bare client read no host key');
      return performance.now() - began;
    };
    const out = { hutctl: [] as number[], lxc: [] as number[], bare: [] as number[] };
    // One of each first, unmeasured: the image's first unpack is the server's, once.
    for (let i = -1; i < ROUNDS; i++) {
      writeFileSync(yaml, text);
      const h = await timed([process.execPath, CLI, 'vm', 'create', name], {
        ...process.env,
        HUTCTL_CONFIG: yaml,
        LXD_SOCKET: lxd.socket,
      });
      if (h.code !== 0) throw new Error(`vm create exited ${h.code}`);
      await remove();
      const l = await timed(['sh', '-c', lxcScript, 'sh', JSON.stringify(body)], env);
      if (l.code !== 0) throw new Error(`the lxc sequence exited ${l.code}`);
      await remove();
      const b = await bare();
      await remove();
      if (i < 0) continue;
      out.hutctl.push(h.ms);
      out.lxc.push(l.ms);
      out.bare.push(b);
    }
    return out;
  } finally {
    await lxd.stop();
  }
}
