/** Where hutctl.yaml is found, in order, and what `config check` says about it. */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { locateConfig } from '../../src/config/find.ts';
import { loadConfig } from '../../src/config/load.ts';
import { runCli, tempDir } from '../support/cli.ts';

/** A home, a project with a subdirectory, a user config and a system config, all present. */
function layout() {
  const root = tempDir('hutctl-find-');
  const home = join(root, 'home');
  const project = join(root, 'project');
  const sub = join(project, 'firmware', 'main');
  const xdg = join(root, 'xdg-config');
  const system = join(root, 'etc-hutctl');
  for (const dir of [home, sub, join(xdg, 'hutctl'), system]) mkdirSync(dir, { recursive: true });
  const yaml = (name: string) =>
    `targets:\n  runner:\n    transport: ssh\n    host: ${name}.lab.example\n    user: ci\n`;
  writeFileSync(join(project, 'hutctl.yaml'), yaml('project'));
  writeFileSync(join(xdg, 'hutctl', 'hutctl.yaml'), yaml('user'));
  writeFileSync(join(system, 'hutctl.yaml'), yaml('system'));
  writeFileSync(join(root, 'explicit.yaml'), yaml('explicit'));
  return { root, home, project, sub, xdg, system };
}

test('the search order: --config, $HUTCTL_CONFIG, upward from here, the user’s (XDG), the system’s', () => {
  const l = layout();
  const env = { HOME: l.home, XDG_CONFIG_HOME: l.xdg };
  const at = (cwd: string, more: Partial<Parameters<typeof locateConfig>[0]> = {}) =>
    locateConfig({ cwd, env, systemDir: l.system, ...more });

  assert.deepEqual(at(l.sub, { configPath: '../../../explicit.yaml' }), {
    file: join(l.root, 'explicit.yaml'),
    source: 'option',
    why: 'given with --config',
  });
  assert.equal(
    at(l.sub, { env: { ...env, HUTCTL_CONFIG: join(l.root, 'explicit.yaml') } })?.source,
    'env',
  );
  assert.deepEqual(at(l.sub), {
    file: join(l.project, 'hutctl.yaml'),
    source: 'project',
    why: 'found in a parent directory',
  });
  assert.equal(at(l.project)?.why, 'found in this directory');
  // Outside the project: the user's, then (without it) the system's, then none.
  assert.equal(at(l.home)?.file, join(l.xdg, 'hutctl', 'hutctl.yaml'));
  assert.equal(at(l.home, { env: { HOME: l.home } })?.file, join(l.system, 'hutctl.yaml'));
  assert.equal(at(l.home, { env: { HOME: l.home }, systemDir: join(l.root, 'none') }), null);
  // Without XDG_CONFIG_HOME, ~/.config is the user's place; a relative XDG value is ignored.
  mkdirSync(join(l.home, '.config', 'hutctl'), { recursive: true });
  writeFileSync(join(l.home, '.config', 'hutctl', 'hutctl.yaml'), 'targets: {}\n');
  for (const xdg of [undefined, 'relative/dir']) {
    assert.equal(
      at(l.home, { env: { HOME: l.home, XDG_CONFIG_HOME: xdg } })?.file,
      join(l.home, '.config', 'hutctl', 'hutctl.yaml'),
    );
  }
});

test('a user or system config keeps state, evidence and artifacts under $XDG_STATE_HOME/hutctl, a project’s beside it', () => {
  const l = layout();
  const state = join(l.root, 'xdg-state');
  const env = { HOME: l.home, XDG_CONFIG_HOME: l.xdg, XDG_STATE_HOME: state };
  const user = loadConfig({ cwd: l.home, env, systemDir: l.system }).config;
  assert.equal(user.found?.source, 'user');
  assert.equal(user.paths.stateDir, join(state, 'hutctl'));
  assert.equal(user.paths.evidenceDir, join(state, 'hutctl', 'evidence'));
  assert.equal(user.artifacts.store, join(state, 'hutctl', 'artifacts'));
  const system = loadConfig({ cwd: l.home, env: { HOME: l.home }, systemDir: l.system }).config;
  assert.equal(system.paths.evidenceDir, join(l.home, '.local', 'state', 'hutctl', 'evidence'));
  const project = loadConfig({ cwd: l.sub, env, systemDir: l.system }).config;
  assert.equal(project.paths.evidenceDir, join(l.project, 'evidence'));
  assert.equal(project.paths.stateDir, join(state, 'hutctl'));
});

test('config check says which file was used and why, and where it looked when none was found', async () => {
  const l = layout();
  const env = { HOME: l.home, XDG_CONFIG_HOME: l.xdg, HUTCTL_CONFIG: '' };
  const fromUser = await runCli(['config', 'check'], { cwd: l.home, env });
  assert.equal(fromUser.code, 0, fromUser.stderr);
  assert.match(
    fromUser.stdout,
    new RegExp(`^config: ${join(l.xdg, 'hutctl', 'hutctl.yaml')} \\(the user's config`, 'm'),
  );
  const json = JSON.parse(
    (await runCli(['config', 'check', '--json'], { cwd: l.sub, env })).stdout,
  );
  assert.deepEqual(json.config.found, { source: 'project', why: 'found in a parent directory' });
  if (existsSync('/etc/hutctl/hutctl.yaml')) return; // this machine has a system config
  const none = await runCli(['config', 'check'], {
    cwd: l.home,
    env: { HOME: l.home, XDG_CONFIG_HOME: join(l.root, 'empty'), HUTCTL_CONFIG: '' },
  });
  assert.match(
    none.stdout,
    /^config: none found \(defaults\); looked for --config, \$HUTCTL_CONFIG/m,
  );
});

test('a hutctl.yaml someone else could have planted or can change is passed over, with a warning', () => {
  const l = layout();
  const shared = join(l.root, 'shared');
  const work = join(shared, 'work');
  mkdirSync(work, { recursive: true });
  chmodSync(shared, 0o1777);
  const planted = join(shared, 'hutctl.yaml');
  writeFileSync(planted, 'targets: {}\n');
  chownSync(planted, 65534, 65534); // nobody's, as another user on the host would leave it
  const warnings: string[] = [];
  const env = { HOME: l.home, XDG_CONFIG_HOME: l.xdg };
  const found = locateConfig({ cwd: work, env, systemDir: l.system }, (w) => warnings.push(w));
  assert.equal(found?.source, 'user', 'the planted file is not used');
  assert.deepEqual(warnings, [
    `ignoring ${planted}: it is owned by uid 65534, not by you or root (pass --config to use it anyway)`,
  ]);
  // Ours but writable by every user: the same.
  chownSync(planted, process.getuid!(), process.getgid!());
  chmodSync(planted, 0o666);
  warnings.length = 0;
  locateConfig({ cwd: work, env, systemDir: l.system }, (w) => warnings.push(w));
  assert.match(warnings[0]!, /it is writable by every user/);
  // A link we own to it is judged by what it points at, and a link someone else owns by itself.
  chmodSync(planted, 0o644);
  rmSync(planted);
  symlinkSync(join(l.project, 'hutctl.yaml'), planted);
  lchownSync(planted, 65534, 65534);
  warnings.length = 0;
  locateConfig({ cwd: work, env, systemDir: l.system }, (w) => warnings.push(w));
  assert.match(warnings[0]!, /the link is owned by uid 65534/);
  // A link of our own to a file of our own is used (a link's own mode, 0777, means nothing).
  lchownSync(planted, process.getuid!(), process.getgid!());
  warnings.length = 0;
  const linked = locateConfig({ cwd: work, env, systemDir: l.system }, (w) => warnings.push(w));
  assert.deepEqual(warnings, []);
  assert.equal(linked?.file, planted);
  // Named explicitly, it is the user's choice.
  assert.equal(locateConfig({ cwd: work, env, configPath: planted })?.file, planted);
});

test('a config in a config directory keeps evidence in the state directory however it is named; an empty HOME is the passwd one', () => {
  const l = layout();
  const state = join(l.root, 'state');
  for (const options of [
    { configPath: join(l.system, 'hutctl.yaml') },
    { env: { HUTCTL_CONFIG: join(l.system, 'hutctl.yaml') } },
  ]) {
    const config = loadConfig({
      cwd: l.project,
      systemDir: l.system,
      ...options,
      env: { HOME: l.home, XDG_STATE_HOME: state, ...(options.env ?? {}) },
    }).config;
    assert.equal(config.paths.evidenceDir, join(state, 'hutctl', 'evidence'));
  }
  for (const home of ['', 'relative/home']) {
    const config = loadConfig({ cwd: l.home, env: { HOME: home }, systemDir: l.system }).config;
    assert.equal(config.paths.stateDir, join(userInfo().homedir, '.local', 'state', 'hutctl'));
  }
});

test('output that cannot be written (a full disk) is one line and exit 1', async () => {
  const { spawnSync } = await import('node:child_process');
  const { CLI } = await import('../support/cli.ts');
  const result = spawnSync(
    'sh',
    ['-c', `"${process.execPath}" "${CLI}" completion bash > /dev/full`],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(result.status, 1);
  assert.equal(
    result.stderr,
    'hutctl: cannot write to standard output: no space left on the device\n',
  );
});
