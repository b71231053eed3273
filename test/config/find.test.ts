/** Where hutctl.yaml is found, in order, and what `config check` says about it. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
