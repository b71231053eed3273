/**
 * The ledger's inbox: a job leaves a link to its report, and whoever opens the ledger next
 * records it — two readers at once record each file once, and whatever else is planted in the
 * inbox is skipped with a warning, never followed into a hang or a crash.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { addToInbox, inboxDir } from '../../src/store/inbox.ts';
import { finished, invocation, runCli, startCli, workspace } from '../support/cli.ts';
import { startPostgres } from '../support/postgres.ts';

test('readers record what jobs left in the inbox, once each, and skip what is not evidence', async () => {
  const dir = workspace('  runner:\n    transport: local\n');
  const run = await runCli(['job', 'run', '-', '--quiet', '--json'], {
    cwd: dir,
    input: invocation({ job_id: 'inbox-first' }),
  });
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  const { config } = loadConfig({ cwd: dir, env: { HOME: dir } });
  const inbox = inboxDir(config);
  assert.equal(inbox, join(dir, 'state', 'ledger.sqlite.inbox'));
  const reportPath = report.log_path.replace(/\.log$/, '.json');
  assert.deepEqual(
    readdirSync(inbox).map((name) => readlinkSync(join(inbox, name))),
    [reportPath],
  );

  // Forty more reports, as other jobs would have left them.
  const text = readFileSync(reportPath, 'utf8');
  for (let i = 0; i < 40; i += 1) {
    const path = join(dir, 'evidence', `runner_inbox-${i}_20261128_120000_utc.json`);
    writeFileSync(path, text.replaceAll('inbox-first', `inbox-${i}`));
    addToInbox(config, path);
  }
  // And what a broken or hostile host leaves there.
  const junk = join(dir, 'junk');
  mkdirSync(junk);
  execFileSync('mkfifo', [join(junk, 'fifo')]);
  writeFileSync(join(junk, 'big.json'), Buffer.alloc(5 * 1024 * 1024, 0x20));
  writeFileSync(join(junk, 'other.json'), '{"schema_version": "someone.else.v1"}\n');
  writeFileSync(join(junk, 'bad.json'), '{"schema_version": "ws2.report.v1", "job_id": "../x"}\n');
  writeFileSync(join(junk, 'text.json'), 'not json');
  for (const target of ['fifo', 'big.json', 'other.json', 'bad.json', 'text.json'])
    symlinkSync(join(junk, target), join(inbox, `0-${target}`));
  symlinkSync('/dev/zero', join(inbox, '0-zero'));
  symlinkSync(junk, join(inbox, '0-dir'));
  symlinkSync(join(junk, 'gone.json'), join(inbox, '0-gone'));
  writeFileSync(join(inbox, '0-plain-file'), reportPath);

  // Two readers at once.
  const [a, b] = await Promise.all([
    finished(startCli(['job', 'list', '--json', '--limit', '100'], { cwd: dir })),
    finished(startCli(['job', 'list', '--json', '--limit', '100'], { cwd: dir })),
  ]);
  for (const r of [a, b]) assert.equal(r.code, 0, r.stderr);
  const listed = JSON.parse(a.stdout).map((j: { job_id: string }) => j.job_id);
  assert.equal(listed.length, 41, a.stderr);
  assert.deepEqual(readdirSync(inbox), []);
  const warned = a.stderr + b.stderr;
  for (const [file, why] of [
    ['fifo', /not a regular file/],
    ['big.json', /larger than any evidence file/],
    ['other.json', /not a hutctl evidence file/],
    ['bad.json', /not a valid ws2\.report\.v1/],
    ['text.json', /not JSON/],
  ] as const)
    assert.match(
      warned,
      new RegExp(`warning: ${join(junk, file)} is not in the ledger: ${why.source}`),
    );
  assert.doesNotMatch(warned, /gone\.json/, 'a file removed since is simply gone');

  // Recording again changes nothing: rows are keyed by their file.
  for (let i = 0; i < 40; i += 5)
    addToInbox(config, join(dir, 'evidence', `runner_inbox-${i}_20261128_120000_utc.json`));
  const status = await runCli(['store', 'status', '--json'], { cwd: dir });
  assert.equal(JSON.parse(status.stdout).jobs, 41, status.stderr);
  assert.deepEqual(readdirSync(inbox), []);
});

test('with PostgreSQL down, a job keeps its report in this host’s inbox, and the next command that reaches the server records it', async () => {
  const pg = await startPostgres();
  try {
    const dir = workspace(
      '  runner:\n    transport: local\n',
      'store:\n  engine: postgres\n  url_env: INBOX_TEST_URL\n',
    );
    const down = `${pg.url.replace(/host=[^&]+/, `host=${encodeURIComponent(join(dir, 'no-server'))}`)}`;
    const run = await runCli(['job', 'run', '-', '--quiet', '--json'], {
      cwd: dir,
      input: invocation({ job_id: 'while-down' }),
      env: { INBOX_TEST_URL: down },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /^hutctl: warning: the ledger was not updated \(.+\); the evidence is complete, and the next command here that opens the ledger records it later$/m,
    );
    const inbox = join(dir, 'state', 'ledger.inbox');
    assert.equal(readdirSync(inbox).length, 1);

    const list = await runCli(['job', 'list', '--json'], {
      cwd: dir,
      env: { INBOX_TEST_URL: pg.url },
    });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).map((j: { job_id: string }) => j.job_id),
      ['while-down'],
    );
    assert.deepEqual(readdirSync(inbox), []);
  } finally {
    await pg.stop();
  }
});
