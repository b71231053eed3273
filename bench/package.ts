/**
 * The ways in (results in docs/benchmarks.md):  npm run bench:package
 *  - a cold `npm exec` of the packed tarball (an empty npm cache each round) running
 *    `hutctl --version`, vs the same package declaring its five bundled libraries as runtime
 *    dependencies, as it did before (npm then downloads them from the registry);
 *  - the single executable's `--version` and `job run` of one step vs `node dist/hutctl.cjs`
 *    run the same way (Node 24, the same machine, interleaved rounds).
 * Run after `npm run build`; it packages into a temporary directory with --fast.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CLI, tempDir } from '../test/support/cli.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const NPM_ROUNDS = Number(process.env.BENCH_NPM_ROUNDS ?? 5);
const repo = new URL('..', import.meta.url).pathname;
const dir = tempDir('hutctl-bench-package-');

function timed(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
) {
  const began = performance.now();
  return new Promise<{ ms: number; code: number | null }>((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => resolve({ ms: performance.now() - began, code }));
  });
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function must(command: string, args: string[], cwd = repo): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// The packages: this one, and one with the five libraries declared as before.
const out = join(dir, 'release');
const made = must(process.execPath, [
  'scripts/package.mjs',
  '--no-build',
  '--fast',
  '--only',
  'tarball,sea',
  '--out',
  out,
]);
const [tarball, executable] = made
  .trim()
  .split('\n')
  .map((l) => l.split('  ')[0]!);
const withDeps = join(dir, 'with-deps');
mkdirSync(withDeps, { recursive: true });
must('tar', ['-xzf', tarball!, '-C', withDeps]);
const pkgPath = join(withDeps, 'package', 'package.json');
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
const dev = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).devDependencies;
pkg.dependencies = Object.fromEntries(
  ['commander', 'esptool-js', 'fflate', 'markdownlint', 'yaml', 'zod'].map((n) => [n, dev[n]]),
);
writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
const oldTarball = must('npm', ['pack', '--pack-destination', withDeps], join(withDeps, 'package'))
  .trim()
  .split('\n')
  .at(-1)!;

// npm's own floor: a one-file package whose bin prints a line.
const trivial = join(dir, 'trivial');
mkdirSync(join(trivial, 'bin'), { recursive: true });
writeFileSync(
  join(trivial, 'package.json'),
  JSON.stringify({ name: 'trivial', version: '1.0.0', bin: { hutctl: 'bin/t.js' } }),
);
writeFileSync(join(trivial, 'bin', 't.js'), '#!/usr/bin/env node\nconsole.log("1.0.0")\n', {
  mode: 0o755,
});
const packedTrivial = must('npm', ['pack', '--pack-destination', trivial], trivial);
const trivialTarball = join(trivial, packedTrivial.trim().split('\n').at(-1)!);

async function npmExec(tgz: string): Promise<number> {
  const cache = tempDir('hutctl-bench-npmcache-');
  const r = await timed(
    ['npm', 'exec', '--yes', '--cache', cache, '--package', tgz, '--', 'hutctl', '--version'],
    {
      cwd: tempDir('hutctl-bench-cwd-'),
      env: { ...process.env, npm_config_update_notifier: 'false' },
    },
  );
  if (r.code !== 0) throw new Error(`npm exec ${tgz} failed`);
  return r.ms;
}

const cold: number[] = [];
const coldDeps: number[] = [];
const floor: number[] = [];
for (let i = 0; i < NPM_ROUNDS; i += 1) {
  floor.push(await npmExec(trivialTarball));
  cold.push(await npmExec(tarball!));
  coldDeps.push(await npmExec(join(withDeps, oldTarball)));
}

// The executable vs node dist/hutctl.cjs: --version, then job run of one step.
const project = tempDir('hutctl-bench-project-');
writeFileSync(
  join(project, 'hutctl.yaml'),
  `targets:\n  runner:\n    transport: local\npaths:\n  lock_dir: ${project}\n  cancel_dir: ${project}\n  evidence_dir: ${project}/evidence\n`,
);
const invocation = must(
  process.execPath,
  [CLI, 'job', 'new', '--role', 'runner', '--lock-key', 'bench', '--', 'true'],
  project,
);
const sea = { version: [] as number[], job: [] as number[] };
const node = { version: [] as number[], job: [] as number[] };
const env = { ...process.env, HUTCTL_CONFIG: '' };
for (let i = 0; i < ROUNDS + 1; i += 1) {
  const seaVersion = await timed([executable!, '--version'], { env });
  const nodeVersion = await timed([process.execPath, CLI, '--version'], { env });
  const seaJob = await timed([executable!, 'job', 'run', '-', '--quiet'], {
    env,
    cwd: project,
    input: invocation.replace(/"job_id": "[^"]+"/, `"job_id": "sea-${i}"`),
  });
  const nodeJob = await timed([process.execPath, CLI, 'job', 'run', '-', '--quiet'], {
    env,
    cwd: project,
    input: invocation.replace(/"job_id": "[^"]+"/, `"job_id": "node-${i}"`),
  });
  if (seaJob.code !== 0 || nodeJob.code !== 0) throw new Error('a job run failed');
  if (i === 0) continue; // the first round warms the page cache and the compile cache
  sea.version.push(seaVersion.ms);
  node.version.push(nodeVersion.ms);
  sea.job.push(seaJob.ms);
  node.job.push(nodeJob.ms);
}

const f = (ms: number) => `${ms.toFixed(0)} ms`;
const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, npm ${must('npm', ['--version']).trim()}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `cold npm exec --version: ${f(median(cold))} (target ≤ 1000 ms); with the 5 libraries as dependencies ${f(median(coldDeps))}: ${ratio(cold, coldDeps)}×`,
);
console.log(
  `npm's floor (a one-file package, same npm exec): ${f(median(floor))}; hutctl's own share ${f(median(cold) - median(floor))}`,
);
console.log(
  `single executable --version: ${f(median(sea.version))} vs node dist/hutctl.cjs ${f(median(node.version))}: ${ratio(sea.version, node.version)}× (target ≤ 1.2×)`,
);
console.log(
  `single executable job run (1 step): ${f(median(sea.job))} vs node dist/hutctl.cjs ${f(median(node.job))}: ${ratio(sea.job, node.job)}× (target ≤ 1.2×)`,
);
