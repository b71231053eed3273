/**
 * The document writer as the team's repository sees it: mode, owner and group kept, a symlink
 * edited through, CRLF kept, nothing left in the directory — not even by a killed edit — no
 * entry lost to a concurrent one, and a user who would take a file over is refused.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { parseHandoffLog } from '../../src/docs/index.ts';
import { CLI, finished, runCli, startCli } from '../support/cli.ts';
import { BOARD, LOG, QUEUE, repoCopy, TRANSPORT } from '../support/docbytes.ts';
import { assertCleanError, changedPaths, snapshot } from '../support/hostile.ts';

const add = (repo: string, summary: string, env: Record<string, string> = {}) =>
  runCli(addArgs(repo, summary), { env });
const addArgs = (repo: string, summary: string) => [
  'handoff',
  'add',
  '--docs',
  repo,
  '--agent',
  'arch:codex',
  '--goal',
  'GOAL-001/WS10',
  '--context',
  'arch-local',
  '--action',
  'scaffold',
  '--operator-required',
  'no',
  '--summary',
  summary,
  '--next',
  'review',
];
const entries = (repo: string) =>
  parseHandoffLog(readFileSync(join(repo, LOG), 'utf8').replaceAll('\r\n', '\n'), LOG);
const litter = (dir: string) => readdirSync(dir).filter((n) => /\.(lock|owner|tmp)$/.test(n));

test('mode, owner and group stay as they were: 0600 root, 0664 nobody:users', async () => {
  const repo = repoCopy();
  const log = join(repo, LOG);
  chmodSync(log, 0o600);
  assert.equal((await add(repo, 'private')).code, 0);
  assert.equal(statSync(log).mode & 0o7777, 0o600);
  chownSync(log, 65534, 100);
  chmodSync(log, 0o664);
  const r = await add(repo, 'shared');
  assert.equal(r.code, 0, r.stderr);
  const st = statSync(log);
  assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o664, 65534, 100]);
  assert.deepEqual(
    entries(repo)
      .slice(0, 2)
      .map((e) => e.summary),
    ['shared', 'private'],
  );
});

test('a symlinked log is edited through to its target; the link stays a link', async () => {
  const repo = repoCopy();
  const log = join(repo, LOG);
  const target = join(dirname(repo), 'elsewhere', 'handoff_log.md');
  mkdirSync(dirname(target));
  renameSync(log, target);
  symlinkSync(target, log);
  const r = await add(repo, 'through the link');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(lstatSync(log).isSymbolicLink());
  assert.equal(entries(repo)[0]!.summary, 'through the link');
  assert.deepEqual(litter(dirname(log)), []);
  assert.deepEqual(litter(dirname(target)), []);
});

test('a CRLF log gets a CRLF entry, and edits leave nothing in the repository', async () => {
  const repo = repoCopy();
  const log = join(repo, LOG);
  const crlf = readFileSync(log, 'utf8').replaceAll('\n', '\r\n');
  writeFileSync(log, crlf);
  const before = snapshot(repo);
  for (const s of ['one', 'two']) assert.equal((await add(repo, s)).code, 0);
  const board = await runCli(['board', 'claim', 'GOAL-002/WS1', 'runner:codex', '--docs', repo]);
  assert.equal(board.code, 0, board.stderr);
  const after = readFileSync(log, 'utf8');
  assert.equal(after.split('\n').length, crlf.split('\n').length + 2);
  assert.ok(!/[^\r]\n/.test(after), 'every line ends in CRLF');
  assert.deepEqual(changedPaths(before, snapshot(repo)), [
    'documentation/short-term/coordination/handoff_log.md',
    'documentation/short-term/coordination/workstream_board.md',
  ]);
});

test('SIGKILL at any moment leaves the log as before or as after; the next edit sweeps the temp file', async () => {
  const repo = repoCopy();
  const log = join(repo, LOG);
  // A large log, so the write takes long enough to be interrupted.
  writeFileSync(log, `${readFileSync(log, 'utf8')}\n${'x'.repeat(8_000_000)}\n`);
  const dir = dirname(log);
  let killedMidWrite = 0;
  for (let round = 0; round < 16; round++) {
    const old = readFileSync(log);
    const count = entries(repo).length;
    const child = startCli(addArgs(repo, `round ${round}`));
    const done = finished(child);
    await new Promise((r) => setTimeout(r, 80 + Math.random() * 500));
    child.kill('SIGKILL');
    await done;
    if (litter(dir).length > 0) killedMidWrite++;
    const now = readFileSync(log);
    if (!now.equals(old)) {
      const after = entries(repo);
      assert.equal(after.length, count + 1, 'a complete new log');
      assert.equal(after[0]!.summary, `round ${round}`);
    }
  }
  const r = await add(repo, 'after the kills');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(litter(dir), [], `${killedMidWrite} kill(s) left a temp file`);
});

test('a temp file left by a dead writer is removed by the next edit of that directory', async () => {
  const repo = repoCopy();
  const dir = dirname(join(repo, LOG));
  const dead = startCli(['--version']);
  await finished(dead);
  const stale = join(dir, `.handoff_log.md.${dead.pid}.0badf00d.tmp`);
  const live = join(dir, `.handoff_log.md.${process.pid}.0badf00d.tmp`);
  writeFileSync(stale, 'half a log');
  writeFileSync(live, 'a live writer');
  assert.equal((await add(repo, 'sweep')).code, 0);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.tmp')),
    [`.handoff_log.md.${process.pid}.0badf00d.tmp`],
    'only the dead writer’s temp file goes',
  );
});

test('concurrent handoff adds never lose an entry (with and without the keeper)', async () => {
  for (const keeper of ['on', 'off']) {
    const repo = repoCopy();
    const env: Record<string, string> = keeper === 'off' ? { HUTCTL_KEEPER: 'off' } : {};
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, n) => add(repo, `parallel ${keeper} ${n}`, env)),
    );
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 0, 0, 0, 0, 0],
    );
    const summaries = entries(repo)
      .slice(0, 6)
      .map((e) => e.summary)
      .sort();
    assert.deepEqual(
      summaries,
      Array.from({ length: 6 }, (_, n) => `parallel ${keeper} ${n}`),
    );
    assert.equal(entries(repo).length, 39 + 6);
  }
});

test("a user who is not the file's owner is refused in one line, and nothing changes", async () => {
  const repo = repoCopy();
  const log = join(repo, LOG);
  // nobody can reach and write the directory, but the log is root's.
  for (let d = dirname(log); d !== '/'; d = dirname(d)) {
    chmodSync(d, statSync(d).mode | 0o755);
    if (d === dirname(repo)) break;
  }
  chmodSync(dirname(log), 0o777);
  chmodSync(log, 0o666);
  const before = snapshot(repo);
  const child = await import('node:child_process').then(({ spawn }) =>
    spawn(
      'setpriv',
      [
        '--reuid=nobody',
        '--regid=nogroup',
        '--clear-groups',
        process.execPath,
        CLI,
        ...addArgs(repo, 'taken over'),
      ],
      { env: { ...process.env, HUTCTL_CONFIG: '', XDG_CACHE_HOME: '/nonexistent' } },
    ),
  );
  child.stdin.end();
  const result = await finished(child);
  assertCleanError(result, [1]);
  assert.match(
    result.stderr,
    /belongs to root and hutctl runs as uid 65534: .*run the command as its owner/,
  );
  assert.deepEqual(changedPaths(before, snapshot(repo)), []);
});

test('a document that is a symlink loop is bad input, said as a read says it; nothing is written', async () => {
  const edits: Array<[string, string[]]> = [
    [LOG, ['handoff', 'add', ...addArgs('', 'looped').slice(4)]],
    [BOARD, ['board', 'set', 'GOAL-001/WS9', '--status', 'in_progress']],
    [BOARD, ['board', 'claim', 'GOAL-001/WS9', 'runner:codex']],
    [
      QUEUE,
      [
        'ticket',
        'add',
        '--scope',
        'a loop',
        '--goal',
        'GOAL-001/governance',
        '--owner',
        'runner:codex',
        '--next',
        'look',
      ],
    ],
    [QUEUE, ['ticket', 'set', 'ADHOC-20260212-01', '--status', 'done']],
    [TRANSPORT, ['transport', 'lock', 'ssh']],
  ];
  for (const [rel, args] of edits) {
    const repo = repoCopy();
    const file = join(repo, rel);
    rmSync(file);
    symlinkSync(file, file); // a link to itself
    const before = snapshot(repo);
    const result = await runCli([...args, '--docs', repo], { killAfterMs: 20_000 });
    assertCleanError(result, [2]);
    assert.equal(
      result.stderr,
      `hutctl: ${file}: too many levels of symbolic links (a loop)\n`,
      args.join(' '),
    );
    assert.deepEqual(changedPaths(before, snapshot(repo)), [], args.join(' '));
  }
});
