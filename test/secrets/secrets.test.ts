/**
 * Every secret hutctl knows of — secrets.env values, the Home Assistant token, the GitLab role
 * files, the local Codex auth — is redacted from logs, reports, printed messages and handoff
 * entries, whichever way a step or a user puts it there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { invocation, runCli, tempDir, workspace } from '../support/cli.ts';

const HA = 'eyJhbGciOiJIUzI1NiJ9.ha-token-value-123456';
const PAT = 'glpat-Xy9z8W7v6U5t4S3r2Q1p';
const CODEX = 'sk-proj-codex-secret-0987654321';

/** A host with the three kinds of secret hutctl learns from files and the environment. */
function host(): { dir: string; env: Record<string, string> } {
  const home = tempDir();
  const creds = join(home, '.config', 'codex', 'credentials', 'gitlab', 'gitlab.example.org');
  mkdirSync(creds, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(creds, 'runner.env'),
    `GITLAB_HOST=gitlab.example.org\nGITLAB_USER=runner\nGITLAB_PAT=${PAT}\n`,
    { mode: 0o600 },
  );
  mkdirSync(join(home, '.codex'));
  writeFileSync(
    join(home, '.codex', 'auth.json'),
    JSON.stringify({ OPENAI_API_KEY: CODEX, tokens: null }),
  );
  const dir = workspace(
    '  runner:\n    transport: local',
    'home_assistant: {url: "http://127.0.0.1:9", token_env: HA_TOKEN}\n',
  );
  return { dir, env: { HOME: home, XDG_CONFIG_HOME: '', HA_TOKEN: HA } };
}

function evidenceText(dir: string): string {
  const evidence = join(dir, 'evidence');
  return readdirSync(evidence)
    .map((name) => readFileSync(join(evidence, name), 'utf8'))
    .join('\n');
}

test('a step that prints the HA token, a GitLab PAT or the Codex key leaves only [REDACTED]', async () => {
  const { dir, env } = host();
  const input = invocation({
    job_id: 'leaky',
    command: [
      'echo "ha=$HA_TOKEN"',
      `cat "$HOME/.config/codex/credentials/gitlab/gitlab.example.org/runner.env"`,
      'cat "$HOME/.codex/auth.json"; echo',
      `echo "typed ${PAT} in the step itself"`,
    ],
  });
  const result = await runCli(['job', 'run', '-', '--json'], { cwd: dir, env, input });
  assert.equal(result.code, 0, result.stderr);
  const everything = result.stdout + result.stderr + evidenceText(dir);
  for (const secret of [HA, PAT, CODEX]) assert.ok(!everything.includes(secret), secret);
  assert.match(evidenceText(dir), /ha=\[REDACTED\]/);
  assert.match(evidenceText(dir), /GITLAB_PAT=\[REDACTED\]/);
});

test('an error message that would quote a secret quotes [REDACTED] instead', async () => {
  const { dir, env } = host();
  const result = await runCli(['job', 'status', '--', PAT], { cwd: dir, env });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no evidence for job \[REDACTED\]/);
  assert.ok(!result.stderr.includes(PAT));
});

test('a handoff entry never carries a secret into the team log', async () => {
  const { env } = host();
  const repo = tempDir();
  const docs = join(repo, 'documentation', 'short-term', 'coordination');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'handoff_log.md'), '# Handoff Log\n\nEntries:\n\n```text\n```\n');
  const result = await runCli(
    [
      'handoff',
      'add',
      '--agent=arch:codex',
      '--goal=GOAL-001/WS9',
      '--context=arch-local',
      '--action=scaffold',
      '--operator-required=no',
      `--summary=rotated the PAT, the old one was ${PAT}`,
      '--next=none',
    ],
    { cwd: repo, env },
  );
  assert.equal(result.code, 0, result.stderr);
  const log = readFileSync(join(docs, 'handoff_log.md'), 'utf8');
  assert.match(log, /the old one was \[REDACTED\]/);
  assert.ok(!log.includes(PAT) && !result.stdout.includes(PAT));
});

test('a role file or Codex auth that is a FIFO or a device is passed over, not waited on; the rest are still redacted', async () => {
  const { env } = host();
  const creds = join(env.HOME!, '.config', 'codex', 'credentials', 'gitlab', 'gitlab.example.org');
  execFileSync('mkfifo', ['-m', '600', join(creds, 'infra.env')]);
  const codexHome = tempDir();
  symlinkSync('/dev/zero', join(codexHome, 'auth.json'));
  const repo = tempDir();
  const docs = join(repo, 'documentation', 'short-term', 'coordination');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'handoff_log.md'), '# Handoff Log\n\nEntries:\n\n```text\n```\n');
  const result = await runCli(
    [
      'handoff',
      'add',
      '--agent=arch:codex',
      '--goal=GOAL-001/WS9',
      '--context=arch-local',
      '--action=scaffold',
      '--operator-required=no',
      `--summary=rotated the PAT, the old one was ${PAT}`,
      '--next=none',
    ],
    { cwd: repo, env: { ...env, CODEX_HOME: codexHome }, killAfterMs: 20_000 },
  );
  assert.equal(result.signal, null, 'waited on a secrets file');
  assert.equal(result.code, 0, result.stderr);
  assert.match(readFileSync(join(docs, 'handoff_log.md'), 'utf8'), /the old one was \[REDACTED\]/);
});

test('a Home Assistant that echoes the token back: the token is redacted everywhere hutctl prints or keeps it', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const body = `401: Unauthorized, you sent ${req.headers.authorization ?? ''}`;
    res.writeHead(500, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const dir = workspace(
      '',
      [
        `home_assistant: {url: "http://127.0.0.1:${port}", token_env: HA_TOKEN, timeout_sec: 3}`,
        'slots:',
        '  hut-01:',
        '    serial: /dev/null',
        '    power: {backend: homeassistant, entity: switch.hut_01_power, max_retries: 0}',
        '',
      ].join('\n'),
    );
    const env = { HA_TOKEN: HA };
    for (const argv of [
      ['power', 'status', 'hut-01'],
      ['power', 'cycle', 'hut-01', '--force', '--json'],
      ['power', 'on', 'hut-01'],
    ]) {
      const result = await runCli(argv, { cwd: dir, env });
      const all = result.stdout + result.stderr;
      assert.ok(!all.includes(HA), `${argv.join(' ')}: ${all}`);
      assert.match(all, /you sent Bearer \[REDACTED\]/);
    }
  } finally {
    server.close();
  }
});

test('an invocation error quotes [REDACTED] for a secret it would print, and the board never keeps one', async () => {
  const { dir, env } = host();
  const input = invocation({ [PAT]: 1 });
  const result = await runCli(['job', 'run', '-'], { cwd: dir, env, input });
  assert.equal(result.code, 2);
  assert.ok(!result.stderr.includes(PAT), result.stderr);
  assert.match(result.stderr, /\[REDACTED\]/);
});
