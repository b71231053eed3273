/**
 * Shell completion as a shell runs it: the generated scripts parse, bash's completion function
 * is driven through COMP_WORDS with the real built CLI on PATH, and values come from a real
 * hutctl.yaml and coordination documents. Also: the generated files are current.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generatedFiles } from '../../src/cli/generated.ts';
import { CLI, runCli, tempDir } from '../support/cli.ts';

const repo = new URL('../..', import.meta.url).pathname;

/** A farm's config and a product repository's documents, in one directory. */
function workspace(): string {
  const dir = tempDir('hutctl-complete-');
  writeFileSync(
    join(dir, 'hutctl.yaml'),
    `targets:
  runner:
    host: runner.lab.example
    user: ci
    transport: ssh
slots:
  hut-01:
    serial: usb-Silicon_Labs_CP2102N_a4c1d2-if00-port0
    labels: [esp32, muse]
  hut-02:
    serial: usb-1a86_USB_Single_Serial_5434-if00
    labels: [esp32, squeezeamp]
`,
  );
  const active = join(dir, 'documentation/short-term/active');
  const coordination = join(dir, 'documentation/short-term/coordination');
  mkdirSync(active, { recursive: true });
  mkdirSync(coordination, { recursive: true });
  writeFileSync(join(active, 'GOAL-001-lxd-codex-hardware-ci.md'), '# GOAL-001\n');
  writeFileSync(join(active, 'GOAL-002-ota.md'), '# GOAL-002\n');
  writeFileSync(
    join(coordination, 'workstream_board.md'),
    [
      '# Workstream Board',
      '',
      'Last updated: 2026-02-13',
      '',
      '| Goal ID | Workstream | Owner | Status | Blockers | Next Action |',
      '|---|---|---|---|---|---|',
      '| GOAL-001 | WS4: Runner VM provisioning | infra:agent | done | none | - |',
      '| GOAL-001 | WS5: Runner SSH reachability | runner:codex | in_progress | none | - |',
      '',
    ].join('\n'),
  );
  return dir;
}

/** A directory with a `hutctl` that runs the built CLI, for the scripts to call. */
function shimPath(): string {
  const bin = tempDir('hutctl-shim-');
  writeFileSync(
    join(bin, 'hutctl'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`,
  );
  chmodSync(join(bin, 'hutctl'), 0o755);
  return `${bin}:${process.env.PATH}`;
}

/** What bash's completion offers for `words` (the last one being completed), in `cwd`. */
function bashComplete(words: string[], cwd: string): string[] {
  const script = `
source ${JSON.stringify(join(repo, 'completions/hutctl.bash'))}
COMP_WORDS=(hutctl "$@")
COMP_CWORD=$#
COMP_LINE="hutctl $*"
COMP_POINT=\${#COMP_LINE}
_hutctl
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  const result = spawnSync('bash', ['-c', script, 'bash', ...words], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: shimPath(), HUTCTL_CONFIG: '' },
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter(Boolean);
}

test('the generated files (schemas, completions, man page) are current', async () => {
  for (const [path, text] of await generatedFiles()) {
    assert.equal(
      readFileSync(join(repo, path), 'utf8'),
      text,
      `${path} is not current: run npm run generate`,
    );
  }
});

test('the man page renders without a groff warning', () => {
  const result = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(repo, 'man/hutctl.1')], {
    encoding: 'utf8',
  });
  if (result.error) return; // no groff on this machine: man-db is optional
  assert.equal(result.stderr, '');
  assert.equal(result.status, 0);
  const page = readFileSync(join(repo, 'man/hutctl.1'), 'utf8');
  const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  assert.match(page, new RegExp(`^\\.TH HUTCTL 1 "" "hutctl ${version.replace(/\./g, '\\.')}"`));
  assert.match(page, /^\.SS "hutctl slot run \[options\] \[slot\] \[argv\.\.\.\]"$/m);
});

test('every completion script parses in its shell', () => {
  const shells: Array<[string, string]> = [
    ['bash', 'hutctl.bash'],
    ['zsh', '_hutctl'],
    ['fish', 'hutctl.fish'],
  ];
  let tried = 0;
  for (const [shell, file] of shells) {
    const result = spawnSync(shell, ['-n', join(repo, 'completions', file)], { encoding: 'utf8' });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') continue;
    tried += 1;
    assert.equal(result.status, 0, `${shell}: ${result.stderr}`);
  }
  assert.ok(tried >= 1, 'bash at least must be there');
});

test('bash completes commands, subcommands and options from the command definitions', () => {
  const dir = workspace();
  assert.ok(bashComplete(['sl'], dir).includes('slot'));
  assert.deepEqual(bashComplete(['slot', 'ru'], dir), ['run']);
  const options = bashComplete(['slot', 'run', '--no'], dir);
  assert.deepEqual(options, ['--no-wait']);
  assert.ok(bashComplete(['hil', 'run', '--'], dir).includes('--junit'));
  // --version is hutctl's own, not every command's.
  assert.ok(!bashComplete(['slot', 'run', '--'], dir).includes('--version'));
  // Nothing of hutctl's after `--`: those words are the step's.
  assert.deepEqual(bashComplete(['slot', 'run', 'hut-01', '--', 'idf'], dir), []);
});

test('bash completes slot ids, labels and targets from hutctl.yaml, goals from the documents', () => {
  const dir = workspace();
  assert.deepEqual(bashComplete(['slot', 'run', 'hut'], dir), ['hut-01', 'hut-02']);
  assert.deepEqual(bashComplete(['power', 'cycle', ''], dir), ['hut-01', 'hut-02']);
  assert.deepEqual(bashComplete(['slot', 'run', '--label', ''], dir), [
    'esp32',
    'muse',
    'squeezeamp',
  ]);
  assert.deepEqual(bashComplete(['heartbeat', ''], dir), ['local', 'runner']);
  assert.deepEqual(bashComplete(['goal', 'show', ''], dir), ['GOAL-001', 'GOAL-002']);
  assert.deepEqual(bashComplete(['board', 'claim', 'GOAL-001/'], dir), [
    'GOAL-001/WS4',
    'GOAL-001/WS5',
  ]);
  assert.deepEqual(bashComplete(['delegate', '--role', 'r'], dir), ['runner']);
  // --opt=value: bash splits the word at =, so each answer is what follows it.
  assert.deepEqual(bashComplete(['slot', 'run', '--label=mu'], dir), ['muse']);
  assert.deepEqual(bashComplete(['heartbeat', 'l'], dir), ['local']);
  assert.deepEqual(bashComplete(['contract', 'validate', '--as', 'ws2.r'], dir), ['ws2.report.v1']);
  assert.deepEqual(bashComplete(['completion', 'z'], dir), ['zsh']);
  // --config typed earlier is the config read.
  const other = tempDir('hutctl-other-');
  writeFileSync(
    join(other, 'farm.yaml'),
    'slots:\n  bench-9:\n    serial: usb-FTDI_FT232R_A10K-if00-port0\n',
  );
  assert.deepEqual(bashComplete(['--config', join(other, 'farm.yaml'), 'slot', 'run', ''], dir), [
    'bench-9',
  ]);
  assert.deepEqual(bashComplete([`--config=${join(other, 'farm.yaml')}`, 'slot', 'run', ''], dir), [
    'bench-9',
  ]);
});

test("bash completes the workstreams of the board's rows for gate check, board and --goal", () => {
  // The team's real board, where a row is `| GOAL-001 | WS9: title | owner | status | … |`.
  const squeezelite = join(repo, 'test/fixtures/squeezelite');
  const ws = (goal: string, n: number) => Array.from({ length: n }, (_, i) => `${goal}/WS${i + 1}`);
  assert.deepEqual(bashComplete(['gate', 'check', 'GOAL-002/'], squeezelite), ws('GOAL-002', 4));
  assert.deepEqual(bashComplete(['gate', 'check', ''], squeezelite), [
    ...ws('GOAL-001', 12),
    ...ws('GOAL-002', 4),
    ...ws('GOAL-003', 4),
  ]);
  assert.deepEqual(bashComplete(['board', 'set', 'GOAL-003/'], squeezelite), ws('GOAL-003', 4));
  assert.deepEqual(bashComplete(['board', 'claim', 'GOAL-001/WS1'], squeezelite), [
    'GOAL-001/WS1',
    'GOAL-001/WS10',
    'GOAL-001/WS11',
    'GOAL-001/WS12',
  ]);
  // --goal <GOAL-nnn/WSn> takes a workstream too, not a goal.
  assert.deepEqual(
    bashComplete(['delegate', '--goal', 'GOAL-002/'], squeezelite),
    ws('GOAL-002', 4),
  );
  assert.deepEqual(bashComplete(['goal', 'show', ''], squeezelite), [
    'GOAL-001',
    'GOAL-002',
    'GOAL-003',
  ]);
  // zsh and fish show each one's title and status.
  const described = spawnSync(
    process.execPath,
    [CLI, '__complete', '--', 'gate', 'check', 'GOAL-001/WS9'],
    { cwd: squeezelite, encoding: 'utf8' },
  );
  assert.equal(
    described.stdout,
    'GOAL-001/WS9\tPower-cycle control with Home Assistant relay, pending\n',
  );
});

test('bash completes sim board --mode and sim relay --failure with what the simulated farm takes', () => {
  const dir = workspace();
  assert.deepEqual(bashComplete(['sim', 'board', 'hut-01', '--mode', ''], dir), [
    'normal',
    'panic',
    'bootloop',
    'hang',
    'hang-once',
  ]);
  assert.deepEqual(bashComplete(['sim', 'board', 'hut-01', '--mode=h'], dir), [
    'hang',
    'hang-once',
  ]);
  assert.deepEqual(bashComplete(['sim', 'relay', 'hut-01', '--failure', 'error'], dir), [
    'error_text',
    'error_json',
  ]);
});

test('bash completes board set --status with the statuses a row can have; another is refused', async () => {
  const dir = workspace();
  assert.deepEqual(bashComplete(['board', 'set', 'GOAL-001/WS5', '--status', ''], dir), [
    'pending',
    'in_progress',
    'blocked',
    'done',
  ]);
  assert.deepEqual(bashComplete(['board', 'set', 'GOAL-001/WS5', '--status=b'], dir), ['blocked']);
  const wrong = await runCli(['board', 'set', 'GOAL-001/WS5', '--status', 'started'], { cwd: dir });
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /'started' is invalid\. Allowed choices are pending, in_progress/);
});

test('bash completes ticket set --status and ticket list --status with the statuses a ticket can have; another is refused', async () => {
  const dir = workspace();
  const statuses = ['open', 'in_progress', 'blocked', 'done', 'declined'];
  assert.deepEqual(
    bashComplete(['ticket', 'set', 'ADHOC-20260212-01', '--status', ''], dir),
    statuses,
  );
  assert.deepEqual(bashComplete(['ticket', 'list', '--status', ''], dir), statuses);
  assert.deepEqual(bashComplete(['ticket', 'list', '--status=d'], dir), ['done', 'declined']);
  for (const args of [
    ['ticket', 'set', 'ADHOC-20260212-01', '--status', 'closed'],
    ['ticket', 'list', '--status', 'closed'],
  ]) {
    const wrong = await runCli(args, { cwd: dir });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /'closed' is invalid\. Allowed choices are open, in_progress/);
  }
});

test('file arguments fall back to the shell completing file names', () => {
  const dir = workspace();
  const result = spawnSync(
    process.execPath,
    [CLI, '__complete', '--', 'artifact', 'put', '3f2c1ab', '--build-dir', ''],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  assert.equal(result.stdout, ':files\n');
  mkdirSync(join(dir, 'build'));
  const offered = bashComplete(['artifact', 'put', '3f2c1ab', '--build-dir', 'bu'], dir);
  assert.deepEqual(offered, []); // bash's own default (-o default) completes the file names
});

test('hostile words are data: nothing typed on the command line is run, and a broken config offers no values', () => {
  const dir = workspace();
  const marker = join(dir, 'pwned');
  for (const word of [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker}`, `x\ny`]) {
    bashComplete(['slot', 'run', word, ''], dir);
    bashComplete([word], dir);
  }
  assert.equal(existsSync(marker), false);
  writeFileSync(join(dir, 'hutctl.yaml'), 'slots: [this is: not a map\n');
  assert.deepEqual(bashComplete(['slot', 'run', ''], dir), []);
  assert.ok(bashComplete(['sl'], dir).includes('slot'), 'commands still complete');
});
