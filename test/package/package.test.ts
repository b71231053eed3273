/**
 * The three ways in, each as a fresh machine gets it: the npm tarball installed into an empty
 * prefix (run with Node 24, and refused in one line by the system's older Node), the single
 * executable run with no Node.js on PATH, and the .deb installed and removed with dpkg.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ROOT, tempDir } from '../support/cli.ts';

const repo = new URL('../..', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const out = tempDir('hutctl-package-');
let tarball = '';
let executable = '';
let deb = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Run {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: options.env ?? process.env,
    cwd: options.cwd,
    input: options.input,
    maxBuffer: 64 << 20,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A PATH of the system's programs without any Node.js: symlinks to all of /usr/bin and /bin but node. */
function pathWithoutNode(): string {
  const dir = tempDir('hutctl-nonode-');
  for (const from of ['/usr/local/bin', '/usr/bin', '/bin']) {
    let names: string[] = [];
    try {
      names = readdirSync(from);
    } catch {}
    for (const name of names) {
      if (/^(node|nodejs|npm|npx|corepack)$/.test(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(from, name), join(dir, name));
    }
  }
  return dir;
}

/** A project with a local runner target, as a user's first hutctl.yaml. */
function project(): string {
  const dir = tempDir('hutctl-project-');
  writeFileSync(
    join(dir, 'hutctl.yaml'),
    `targets:\n  runner:\n    transport: local\npaths:\n  lock_dir: ${dir}\n  cancel_dir: ${dir}\n  state_dir: ${dir}/state\n`,
  );
  return dir;
}

/** --version, --help, config check and a job run of one step, as the installed `hutctl`. */
function exercise(hutctl: string, env: NodeJS.ProcessEnv): void {
  const versionRun = run(hutctl, ['--version'], { env });
  assert.equal(versionRun.code, 0, versionRun.stderr);
  assert.equal(versionRun.stdout, `${version}\n`);
  const help = run(hutctl, ['slot', 'run', '--help'], { env });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage: hutctl slot run/);
  const dir = project();
  const check = run(hutctl, ['config', 'check'], { env, cwd: dir });
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /config: .*hutctl\.yaml \(found in this directory\)/);
  const job = run(
    hutctl,
    ['job', 'new', '--role', 'runner', '--lock-key', 'smoke', '--', 'echo packaged-$((6*7))'],
    { env, cwd: dir },
  );
  assert.equal(job.code, 0, job.stderr);
  const ran = run(hutctl, ['job', 'run', '-', '--json'], { env, cwd: dir, input: job.stdout });
  assert.equal(ran.code, 0, ran.stderr);
  const report = JSON.parse(ran.stdout);
  assert.equal(report.status, 'success');
  assert.match(readFileSync(report.log_path, 'utf8'), /packaged-42/);
}

/** The tarball installed offline into an empty prefix, as `npm i -g` on a fresh machine. */
function installTarball(): { prefix: string; installed: Run } {
  const prefix = tempDir('hutctl-prefix-');
  const args = ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund'];
  return { prefix, installed: run('npm', [...args, tarball]) };
}

describe('packages', { concurrency: false }, () => {
  before(() => {
    // dist/ is built by the test command before any test runs; never rebuild it under other tests.
    const made = run(
      process.execPath,
      [join(repo, 'scripts/package.mjs'), '--no-build', '--fast', '--out', out],
      { cwd: repo },
    );
    assert.equal(made.code, 0, made.stderr + made.stdout);
    const paths = made.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('  ')[0]!);
    [tarball, executable, deb] = paths as [string, string, string];
    assert.match(made.stdout, /hutctl-.*\.tgz {2}[\d.]+ MB {2}sha256 [0-9a-f]{64}\n/);
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    assert.equal(run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out }).code, 0, sums);
  });

  test('the tarball holds only what runs, declares no runtime dependency, and installs offline into an empty prefix', () => {
    const listed = run('tar', ['-tzf', tarball]).stdout.trim().split('\n');
    for (const entry of listed) {
      assert.match(
        entry,
        /^package\/(dist\/|schemas\/|man\/|completions\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/,
        `${entry} should not be in the package`,
      );
    }
    for (const wanted of [
      'package/dist/hutctl.cjs',
      'package/dist/main.cjs',
      'package/dist/flash.cjs',
      'package/man/hutctl.1',
    ]) {
      assert.ok(listed.includes(wanted), `${wanted} missing`);
    }
    const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json']).stdout);
    assert.equal(manifest.dependencies, undefined);
    assert.deepEqual(manifest.os, ['linux']);
    assert.match(manifest.engines.node, /^>=22\.13/);
    assert.ok(manifest.repository && manifest.homepage && manifest.bugs);

    const { prefix, installed } = installTarball();
    assert.equal(installed.code, 0, installed.stderr);
    const hutctl = join(prefix, 'bin', 'hutctl');
    // Node 24 first on PATH, as the README tells a user to have.
    exercise(hutctl, { ...process.env, PATH: `${dirname(process.execPath)}:${pathWithoutNode()}` });
  });

  test('an older Node.js is refused in one line that says what to do', () => {
    const system = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
    const older =
      system && Number(run(system, ['-p', 'process.versions.node.split(".")[0]']).stdout) < 22;
    if (!older) return; // this machine has no older Node to try
    const { prefix, installed } = installTarball();
    assert.equal(installed.code, 0, installed.stderr);
    const result = run(join(prefix, 'bin', 'hutctl'), ['--version'], {
      env: { ...process.env, PATH: `${dirname(system)}:/bin` },
    });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^hutctl: needs Node\.js 22\.13 or later; this is Node\.js \d+\.\d+\.\d+ \(.*\)\n {2}install Node\.js 22 or 24 .* single executable or \.deb, which need no Node\.js\n$/,
    );
  });

  test('the single executable runs with no Node.js anywhere on PATH', () => {
    const env = { HOME: tempDir('hutctl-home-'), PATH: pathWithoutNode(), LANG: 'C.UTF-8' };
    assert.notEqual(
      run('sh', ['-c', 'command -v node'], { env }).code,
      0,
      'node must not be on PATH',
    );
    exercise(executable, env);
    // The flasher is inside too (a separate file in dist/): its usage errors come from it.
    const flash = run(executable, ['flash', 'write', '/dev/null', '0x1000'], { env });
    assert.equal(flash.code, 2, flash.stderr);
  });

  test("the single executable ignores NODE_OPTIONS, which is for the user's own node, and passes it on to steps", () => {
    const dir = project();
    const marker = join(dir, 'foreign-code-ran');
    const foreign = join(dir, 'foreign.cjs');
    writeFileSync(foreign, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, '');\n`);
    const env = { HOME: tempDir('hutctl-home-'), PATH: pathWithoutNode(), LANG: 'C.UTF-8' };
    // Code to run inside it, a flag no Node.js knows, a heap too small to start in: each would
    // change or stop hutctl if its Node.js read them.
    for (const options of [
      `--require=${foreign}`,
      '--no-such-node-flag',
      '--max-old-space-size=1',
    ]) {
      const withOptions = { ...env, NODE_OPTIONS: options };
      const versionRun = run(executable, ['--version'], { env: withOptions });
      assert.equal(versionRun.code, 0, versionRun.stderr);
      assert.equal(versionRun.stdout, `${version}\n`);
      const check = run(executable, ['config', 'check'], { env: withOptions, cwd: dir });
      assert.equal(check.code, 0, check.stderr);
    }
    assert.equal(existsSync(marker), false, 'NODE_OPTIONS --require ran code inside hutctl');
    // A step is the user's: it gets their NODE_OPTIONS as they set it.
    const withOptions = { ...env, NODE_OPTIONS: '--no-warnings' };
    const job = run(
      executable,
      ['job', 'new', '--role', 'runner', '--lock-key', 'opts', '--', 'echo "opts=$NODE_OPTIONS"'],
      { env: withOptions, cwd: dir },
    );
    assert.equal(job.code, 0, job.stderr);
    const ran = run(executable, ['job', 'run', '-', '--json'], {
      env: withOptions,
      cwd: dir,
      input: job.stdout,
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(readFileSync(JSON.parse(ran.stdout).log_path, 'utf8'), /opts=--no-warnings/);
  });

  test('the .deb declares what hutctl runs, installs, and removes cleanly', () => {
    const info = run('dpkg-deb', ['--field', deb]).stdout;
    assert.match(info, new RegExp(`^Version: ${version.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(info, /^Depends: openssh-client, util-linux, perl-base$/m);
    assert.match(info, /^Recommends: socat, esptool$/m);
    const contents = run('dpkg-deb', ['--contents', deb]).stdout;
    for (const path of [
      './usr/bin/hutctl',
      './usr/share/man/man1/hutctl.1.gz',
      './usr/share/bash-completion/completions/hutctl',
      './usr/share/zsh/vendor-completions/_hutctl',
      './usr/share/fish/vendor_completions.d/hutctl.fish',
      './usr/share/doc/hutctl/copyright',
      './usr/share/hutctl/schemas/ws2.invocation.v1.schema.json',
    ]) {
      assert.match(
        contents,
        new RegExp(` root/root .* ${path.replace(/\./g, '\\.')}\n`),
        `${path} missing or not root-owned`,
      );
    }
    const alreadyInstalled = run('dpkg', ['-s', 'hutctl']).code === 0;
    if (!ROOT || alreadyInstalled) {
      // Without root (or with a hutctl the user installed), unpack into a scratch root instead.
      const scratch = tempDir('hutctl-root-');
      assert.equal(run('dpkg-deb', ['-x', deb, scratch]).code, 0);
      exercise(join(scratch, 'usr/bin/hutctl'), { ...process.env, PATH: pathWithoutNode() });
      return;
    }
    const installed = run('dpkg', ['-i', deb]);
    try {
      assert.equal(installed.code, 0, installed.stderr);
      exercise('/usr/bin/hutctl', { HOME: tempDir('hutctl-home-'), PATH: pathWithoutNode() });
      assert.match(
        run('dpkg', ['-L', 'hutctl']).stdout,
        /^\/usr\/share\/man\/man1\/hutctl\.1\.gz$/m,
      );
      // Minimal images tell dpkg to skip manuals (path-exclude); where it kept them, man finds it.
      if (existsSync('/usr/share/man/man1/hutctl.1.gz')) {
        assert.match(run('man', ['-w', 'hutctl']).stdout, /hutctl\.1\.gz/);
      }
    } finally {
      const removed = run('dpkg', ['--purge', 'hutctl']);
      assert.equal(removed.code, 0, removed.stderr);
    }
    assert.equal(existsSync('/usr/bin/hutctl'), false);
    assert.equal(existsSync('/usr/share/man/man1/hutctl.1.gz'), false);
    assert.notEqual(run('dpkg', ['-s', 'hutctl']).code, 0);
  });
});
