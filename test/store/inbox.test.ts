/**
 * The ledger's inbox: a job leaves a link to its report, and whoever opens the ledger next
 * records it — two readers at once record each file once, and whatever else is planted in the
 * inbox is skipped with a warning, never followed into a hang or a crash.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { addToInbox, inboxDir } from '../../src/store/inbox.ts';
import { finished, invocation, ROOT, runCli, startCli, workspace } from '../support/cli.ts';
import { startPostgres } from '../support/postgres.ts';

test('readers record what jobs left in the inbox, once each, however many read at once', async () => {
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
  // Two readers at once.
  const [a, b] = await Promise.all([
    finished(startCli(['job', 'list', '--json', '--limit', '100'], { cwd: dir })),
    finished(startCli(['job', 'list', '--json', '--limit', '100'], { cwd: dir })),
  ]);
  for (const r of [a, b]) assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(a.stdout).length, 41, a.stderr);
  assert.equal(a.stderr + b.stderr, '');
  assert.deepEqual(readdirSync(inbox), []);

  // Recording again changes nothing: rows are keyed by their file.
  for (let i = 0; i < 40; i += 5)
    addToInbox(config, join(dir, 'evidence', `runner_inbox-${i}_20261128_120000_utc.json`));
  assert.equal(await jobsIn(dir), 41);
  assert.deepEqual(readdirSync(inbox), []);
});

async function jobsIn(dir: string): Promise<number> {
  const status = await runCli(['store', 'status', '--json'], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  return JSON.parse(status.stdout).jobs;
}

test('what a broken or hostile host leaves in the inbox is skipped with one warning each, never followed into a hang, and the rest is recorded', async () => {
  const dir = workspace('  runner:\n    transport: local\n');
  const run = await runCli(['job', 'run', '-', '--quiet', '--json'], {
    cwd: dir,
    input: invocation({ job_id: 'inbox-good' }),
  });
  assert.equal(run.code, 0, run.stderr);
  const { config } = loadConfig({ cwd: dir, env: { HOME: dir } });
  const inbox = inboxDir(config);
  const evidence = join(dir, 'evidence');
  const good = readFileSync(JSON.parse(run.stdout).log_path.replace(/\.log$/, '.json'), 'utf8');
  assert.equal(await jobsIn(dir), 1);

  // A file in the evidence directory, named in the inbox as a command would.
  const plant = (name: string, content: string | Buffer | null) => {
    const path = join(evidence, name);
    if (content === null) execFileSync('mkfifo', [path]);
    else writeFileSync(path, content);
    addToInbox(config, path);
  };
  const cases: Array<[string, () => void, RegExp | null]> = [
    [
      'a FIFO',
      () => plant('runner_fifo_20261128_120000_utc.json', null),
      /runner_fifo_20261128_120000_utc\.json" is not in the ledger: not a regular file$/m,
    ],
    [
      'a huge file',
      () => plant('runner_big_20261128_120000_utc.json', Buffer.alloc(5 * 1024 * 1024, 0x20)),
      /runner_big_20261128_120000_utc\.json" is not in the ledger: 5\.0 MiB is more than the 4\.0 MiB such a file may have$/m,
    ],
    [
      'JSON of someone else',
      () => plant('runner_other_20261128_120000_utc.json', '{"schema_version": "someone.else.v1"}'),
      /runner_other_20261128_120000_utc\.json" is not in the ledger: not a hutctl evidence file$/m,
    ],
    [
      'an invalid report',
      () =>
        plant(
          'runner_bad_20261128_120000_utc.json',
          '{"schema_version": "ws2.report.v1", "job_id": "../x"}',
        ),
      /runner_bad_20261128_120000_utc\.json" is not in the ledger: not a valid ws2\.report\.v1/,
    ],
    [
      'text',
      () => plant('runner_text_20261128_120000_utc.json', 'not json'),
      /runner_text_20261128_120000_utc\.json" is not in the ledger: not JSON$/m,
    ],
    [
      'a report nested a million deep',
      () =>
        plant(
          'runner_deep_20261128_120000_utc.json',
          good.replace(/\n}\n$/, `, "extra": ${'['.repeat(1e6)}${']'.repeat(1e6)}\n}\n`),
        ),
      /runner_deep_20261128_120000_utc\.json" is not in the ledger: nested too deeply to be evidence$/m,
    ],
    [
      'a name with an escape sequence',
      () => plant('runner_evil\x1b[31m_20261128_120000_utc.json', 'x'),
      /runner_evil\\u001b\[31m_20261128_120000_utc\.json" is not in the ledger: not JSON$/m,
    ],
    [
      'a device',
      () => symlinkSync('/dev/zero', join(inbox, '0-zero')),
      /^hutctl: warning: "\/dev\/zero" is not in the ledger: not named as hutctl evidence /m,
    ],
    [
      'a file elsewhere, whose read would block',
      () => symlinkSync('/proc/kmsg', join(inbox, '0-kmsg')),
      /"\/proc\/kmsg" is not in the ledger: not named as hutctl evidence /,
    ],
    [
      'a file of another user',
      () => {
        if (!ROOT) return; // only root can give a file away
        plant('runner_theirs_20261128_120000_utc.json', good.replaceAll('inbox-good', 'theirs'));
        chownSync(join(evidence, 'runner_theirs_20261128_120000_utc.json'), 65534, 65534);
      },
      ROOT
        ? /runner_theirs_20261128_120000_utc\.json" is not in the ledger: owned by another user \(uid 65534\)$/m
        : null,
    ],
    [
      'a plain file',
      () => writeFileSync(join(inbox, '0-plain'), 'x'),
      /0-plain" is not in the ledger: not a link hutctl made; removed$/m,
    ],
    [
      'a file removed since',
      () => addToInbox(config, join(evidence, 'runner_gone_20261128_120000_utc.json')),
      null,
    ],
  ];
  for (const [what, planted, warning] of cases) {
    planted();
    const r = await runCli(['store', 'status', '--json'], { cwd: dir });
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).jobs, 1, what);
    if (warning) {
      assert.match(r.stderr, warning, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
    } else assert.equal(r.stderr, '', what);
    assert.doesNotMatch(r.stderr, /\x1b/, what);
    assert.deepEqual(readdirSync(inbox), [], what);
  }

  // A good report beside bad ones is recorded; many bad ones are a few lines, not one each.
  for (let i = 0; i < 8; i += 1) plant(`runner_junk-${i}_20261128_120000_utc.json`, 'not json');
  plant('runner_after_20261128_120000_utc.json', good.replaceAll('inbox-good', 'after'));
  const many = await runCli(['store', 'status', '--json'], { cwd: dir });
  assert.equal(JSON.parse(many.stdout).jobs, 2, many.stderr);
  assert.deepEqual(many.stderr.trim().split('\n').slice(3), [
    `hutctl: warning: and 5 more files named in ${inbox}, not recorded`,
  ]);

  // A relative link is read from the inbox, as the file system reads it.
  const relative = 'runner_relative_20261128_120000_utc.json';
  writeFileSync(join(evidence, relative), good.replaceAll('inbox-good', 'relative'));
  symlinkSync(`../../evidence/${relative}`, join(inbox, '1-relative'));
  assert.equal(await jobsIn(dir), 3);
});

test('an inbox that is not this user’s own is never read, and a writer says so', {
  skip: ROOT ? false : 'needs root to make another user’s directory',
}, async () => {
  const dir = workspace('  runner:\n    transport: local\n');
  const { config } = loadConfig({ cwd: dir, env: { HOME: dir } });
  const inbox = inboxDir(config);
  mkdirSync(inbox, { recursive: true });
  // Another user's, as a shared sticky directory would let them make it first.
  chownSync(inbox, 65534, 65534);
  chmodSync(inbox, 0o777);
  const run = await runCli(['job', 'run', '-', '--quiet', '--json'], {
    cwd: dir,
    input: invocation({ job_id: 'inbox-theirs' }),
  });
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stderr,
    /could not be handed to the ledger \(.*is owned by another user \(uid 65534\)\)/,
  );
  // What they planted there is not read.
  symlinkSync(JSON.parse(run.stdout).log_path.replace(/\.log$/, '.json'), join(inbox, '0-planted'));
  const list = await runCli(['job', 'list', '--json'], { cwd: dir });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout), []);
  assert.deepEqual(readdirSync(inbox), ['0-planted']);

  // This user's own, but writable by everyone: said, and not read either.
  chownSync(inbox, 0, 0);
  const open = await runCli(['job', 'list', '--json'], { cwd: dir });
  assert.match(open.stderr, /is writable by every user: what it holds is not read/);
  assert.deepEqual(JSON.parse(open.stdout), []);
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
      /^hutctl: warning: the ledger was not updated \(.+\); the evidence is complete, and the next command here that opens the ledger records it$/m,
    );
    const inbox = join(dir, 'state', 'ledger.inbox');
    assert.equal(readdirSync(inbox).length, 1);

    // A server that takes the connection and never answers: the job ends all the same.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const stuck = await runCli(['job', 'run', '-', '--quiet', '--json'], {
        cwd: dir,
        input: invocation({ job_id: 'while-silent' }),
        env: { INBOX_TEST_URL: `postgresql://hutctl@127.0.0.1:${port}/hutctl` },
      });
      assert.equal(stuck.code, 0, stuck.stderr);
      assert.match(
        stuck.stderr,
        /the ledger was not updated \(.*timeout.*\); the evidence is complete/i,
      );
    } finally {
      silent.close();
    }
    assert.equal(readdirSync(inbox).length, 2);

    const list = await runCli(['job', 'list', '--json'], {
      cwd: dir,
      env: { INBOX_TEST_URL: pg.url },
    });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).map((j: { job_id: string }) => j.job_id),
      ['while-silent', 'while-down'],
    );
    assert.deepEqual(readdirSync(inbox), []);
  } finally {
    await pg.stop();
  }
});
