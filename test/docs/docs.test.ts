/** Handoff log, board and Delegation Gate on byte-for-byte copies of the team's files. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseBoard, parseHandoffLog } from '../../src/docs/index.ts';
import { type CliOptions, type CliResult, runCli, tempDir } from '../support/cli.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url));
const LOG = 'documentation/short-term/coordination/handoff_log.md';
const BOARD = 'documentation/short-term/coordination/workstream_board.md';

function copy(): string {
  const dir = join(tempDir(), 'repo');
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}
const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');
const hutctl = (dir: string, ...args: string[]) => runCli([...args, '--docs', dir]);

test('the real handoff log parses: 9-field and legacy entries, tags only at the start', () => {
  const entries = parseHandoffLog(read(FIXTURE, LOG), LOG);
  assert.equal(entries.filter((e) => e.form === 'v2').length, 28);
  assert.equal(entries.filter((e) => e.form === 'legacy').length, 11);
  assert.equal(entries.filter((e) => e.form === 'malformed').length, 0);
  assert.equal(entries[0]!.tags.executor, 'ssh_direct');
  assert.equal(entries[0]!.utc, '2026-02-13T22:07:00Z');
  const prose = entries.find(
    (e) => e.summary.includes('`executor=remote_codex`') && !e.summary.startsWith('executor='),
  );
  if (prose)
    assert.equal(
      prose.tags.executor,
      undefined,
      'a backticked executor= inside prose is not a tag',
    );
});

test('the real board parses, keeping the overflow cells of 7-cell rows', () => {
  const board = parseBoard(read(FIXTURE, BOARD), BOARD);
  assert.equal(board.lastUpdated?.value, '2026-02-13');
  const ws8 = board.rows.find((r) => r.goal === 'GOAL-001' && r.ws === 'WS8')!;
  assert.equal(ws8.status, 'done');
  assert.equal(ws8.extra.length, 1);
  assert.match(ws8.extra[0]!, /runner\/runner-agent@c03a9a0/);
  assert.deepEqual(
    board.activation.map((a) => [a.role, a.state]),
    [
      ['infra', 'active'],
      ['runner', 'active'],
    ],
  );
});

test('handoff add validates every field and inserts one line at the top, nothing else', async () => {
  const dir = copy();
  const before = read(dir, LOG).split('\n');
  const base = [
    'handoff',
    'add',
    '--agent',
    'runner:codex',
    '--goal',
    'GOAL-001/WS9',
    '--context',
    'runner-live',
    '--operator-required',
    'no',
    '--summary',
    'Implemented POWER-CTL-001 `abc1234`',
    '--next',
    'arch: review',
  ];
  const bad: Array<[string[], RegExp]> = [
    [[...base, '--action', 'execute'], /execute entry needs executor=/],
    [[...base, '--action', 'run'], /action_type must be one of/],
    [
      [...base.map((a) => (a === 'runner:codex' ? 'codex' : a)), '--action', 'delegate'],
      /agent "codex" must be <role>:<id>/,
    ],
    [
      [...base.map((a) => (a === 'runner-live' ? 'vm' : a)), '--action', 'delegate'],
      /context must be one of/,
    ],
    [
      [
        ...base.map((a) => (a === 'GOAL-001/WS9' ? 'GOAL-001/WS4' : a)),
        '--action',
        'execute',
        '--executor',
        'remote_codex',
      ],
      /owner of GOAL-001\/WS4 is infra:agent: .*executor=ssh_direct/,
    ],
  ];
  for (const [args, message] of bad) {
    const result = await hutctl(dir, ...args);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
  assert.equal(read(dir, LOG), before.join('\n'), 'refused entries change nothing');
  const ok = await hutctl(
    dir,
    ...base,
    '--action',
    'execute',
    '--executor',
    'remote_codex',
    '--tag',
    'thread_ref=WS9-A',
    '--json',
  );
  assert.equal(ok.code, 0, ok.stderr);
  const after = read(dir, LOG).split('\n');
  const at = before.findIndex((l) => l.trim() === 'Entries:') + 3;
  assert.deepEqual([...after.slice(0, at), ...after.slice(at + 1)], before);
  assert.match(
    after[at]!,
    / \| runner:codex \| GOAL-001\/WS9 \| runner-live \| execute \| no \| executor=remote_codex thread_ref=WS9-A Implemented POWER-CTL-001 `abc1234` \| arch: review \| none$/,
  );
  assert.equal(JSON.parse(ok.stdout).tags.thread_ref, 'WS9-A');
});

test('two concurrent handoff adds both land', async () => {
  const dir = copy();
  const add = (n: number) =>
    hutctl(
      dir,
      'handoff',
      'add',
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
      `parallel ${n}`,
      '--next',
      'none',
    );
  const results = await Promise.all([add(1), add(2), add(3), add(4)]);
  assert.deepEqual(
    results.map((r) => r.code),
    [0, 0, 0, 0],
  );
  const entries = parseHandoffLog(read(dir, LOG), LOG);
  assert.deepEqual(
    entries
      .slice(0, 4)
      .map((e) => e.summary)
      .sort(),
    ['parallel 1', 'parallel 2', 'parallel 3', 'parallel 4'],
  );
  assert.equal(entries.length, 39 + 4);
});

test('board set changes one row and Last updated; its rules refuse bad moves', async () => {
  const dir = copy();
  const before = read(dir, BOARD).split('\n');
  assert.match(
    (await hutctl(dir, 'board', 'set', 'GOAL-002/WS1', '--status', 'in_progress')).stderr,
    /cannot be in_progress while its owner is unassigned/,
  );
  assert.match(
    (await hutctl(dir, 'board', 'set', 'GOAL-001/WS9', '--status', 'blocked')).stderr,
    /blocked needs its blockers/,
  );
  assert.match(
    (await hutctl(dir, 'board', 'set', 'GOAL-001/WS10', '--status', 'done')).stderr,
    /done needs evidence/,
  );
  assert.match(
    (await hutctl(dir, 'board', 'claim', 'GOAL-001/WS9', 'codex')).stderr,
    /must be <role>:<id>/,
  );
  assert.deepEqual(
    read(dir, BOARD).split('\n'),
    before,
    'refused changes leave the board as it was',
  );
  const claimed = await hutctl(dir, 'board', 'claim', 'GOAL-002/WS1', 'runner:codex');
  assert.equal(claimed.code, 0, claimed.stderr);
  const moved = await hutctl(
    dir,
    'board',
    'set',
    'GOAL-001/WS9',
    '--status',
    'blocked',
    '--blockers',
    'DEP:relay wiring',
  );
  assert.equal(moved.code, 0, moved.stderr);
  const after = read(dir, BOARD).split('\n');
  const changed = after.map((l, i) => (l === before[i] ? null : i + 1)).filter((n) => n !== null);
  const board = parseBoard(after.join('\n'), BOARD);
  const ws9 = board.rows.find((r) => r.ws === 'WS9' && r.goal === 'GOAL-001')!;
  const g2 = board.rows.find((r) => r.ws === 'WS1' && r.goal === 'GOAL-002')!;
  assert.deepEqual(
    changed,
    [3, g2.line, ws9.line].sort((a, b) => a - b),
  );
  assert.equal(ws9.status, 'blocked');
  assert.deepEqual(ws9.extra, ['-'], 'the overflow cell stays');
  assert.equal(g2.owner, 'runner:codex');
  assert.match(after[2]!, /^Last updated: \d{4}-\d{2}-\d{2}$/);
});

test('board set rewrites only the cells it changes: a title-less `WS9` stays `WS9`; a secret becomes [REDACTED]', async () => {
  const dir = join(tempDir(), 'repo');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(join(dir, 'documentation/short-term/coordination'), { recursive: true });
  const row = '| GOAL-001 | WS9 | runner:codex | pending | none | wire relay |';
  writeFileSync(
    join(dir, BOARD),
    `# Workstream Board\n\nLast updated: 2026-02-13\n\n| Goal ID | Workstream | Owner | Status | Blockers | Next Action |\n|---|---|---|---|---|---|\n${row}\n`,
  );
  const secret = 's3cr3t-VALUE-42';
  writeFileSync(join(dir, 'hutctl.yaml'), 'secrets: {env: [MY_SECRET]}\n');
  const result = await runCli(
    ['board', 'set', 'GOAL-001/WS9', '--status', 'blocked', '--blockers', `DEP:${secret}`],
    { cwd: dir, env: { MY_SECRET: secret } },
  );
  assert.equal(result.code, 0, result.stderr);
  const text = read(dir, BOARD);
  assert.match(
    text,
    /^\| GOAL-001 \| WS9 \| runner:codex \| blocked \| DEP:\[REDACTED\] \| wire relay \|$/m,
  );
  assert.ok(!text.includes(secret) && !result.stdout.includes(secret));
});

test('gate check reports each check and opens once the entries are there', async () => {
  const dir = copy();
  const closed = await hutctl(dir, 'gate', 'check', 'GOAL-001/WS9', '--json');
  assert.equal(closed.code, 1);
  const gate = JSON.parse(closed.stdout);
  assert.deepEqual(
    gate.checks.map((c: { pass: boolean }) => c.pass),
    [true, true, false, false, false],
  );
  await hutctl(
    dir,
    'handoff',
    'add',
    '--agent',
    'runner:codex',
    '--goal',
    'GOAL-001/WS9',
    '--context',
    'runner-live',
    '--action',
    'execute',
    '--operator-required',
    'no',
    '--executor',
    'remote_codex',
    '--summary',
    'started',
    '--next',
    'continue',
  );
  const open = await hutctl(dir, 'gate', 'check', 'GOAL-001/WS9');
  assert.equal(open.code, 0, open.stdout);
  assert.match(open.stdout, /GOAL-001\/WS9: gate open/);
});

/** hutctl on `dir`, killed after a while: a command that waits on a file fails the test instead of hanging it. */
const bounded = (dir: string, args: string[], options: CliOptions = {}): Promise<CliResult> =>
  runCli([...args, '--docs', dir], { killAfterMs: 20_000, ...options });

test('a board that is a FIFO, a device, endless or huge is refused at once, naming the file', async () => {
  const cases: Array<[string, (board: string) => void, string]> = [
    ['a FIFO', (board) => execFileSync('mkfifo', [board]), 'not a regular file'],
    ['/dev/zero', (board) => symlinkSync('/dev/zero', board), 'not a regular file'],
    [
      '/proc/self/pagemap (empty by stat, endless when read)',
      (board) => symlinkSync('/proc/self/pagemap', board),
      'it holds more than the 8.0 MiB such a file may have',
    ],
    [
      'a 9 MiB file',
      (board) => writeFileSync(board, Buffer.alloc(9 * 1024 * 1024, 'x')),
      '9.0 MiB is more than the 8.0 MiB such a file may have',
    ],
  ];
  for (const [what, make, reason] of cases) {
    const dir = copy();
    const board = join(dir, BOARD);
    rmSync(board);
    make(board);
    const expected = `hutctl: ${board}: ${reason}`;
    for (const args of [
      ['board', 'show'],
      ['gate', 'check', 'GOAL-001/WS9'],
    ]) {
      const result = await bounded(dir, args);
      assert.equal(result.signal, null, `${args.join(' ')} on ${what}: waited on it`);
      assert.equal(result.code, 2, `${args.join(' ')} on ${what}: ${result.stderr}`);
      assert.ok(
        result.stderr.split('\n').includes(expected),
        `${args.join(' ')}: ${result.stderr}`,
      );
    }
  }
  // An edit reads the board under its lock the same way.
  const dir = copy();
  writeFileSync(join(dir, BOARD), Buffer.alloc(9 * 1024 * 1024, 'x'));
  const set = await bounded(dir, ['board', 'set', 'GOAL-001/WS9', '--status', 'in_progress']);
  assert.equal(set.code, 2, set.stderr);
  assert.match(set.stderr, /workstream_board\.md: 9\.0 MiB is more than the 8\.0 MiB/);
  // A missing board is still NOT_FOUND.
  rmSync(join(dir, BOARD));
  const missing = await bounded(dir, ['board', 'show']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /workstream_board\.md does not exist$/m);
});

test('handoff add refuses a board it cannot read, writing nothing; without a board it adds the entry unchecked', async () => {
  // An execute entry over remote_codex for a workstream whose board owner is an <role>:agent
  // proxy: the board check refuses it, so it lands only when there is no board to check.
  const add = [
    'handoff',
    'add',
    '--agent',
    'runner:codex',
    '--goal',
    'GOAL-001/WS4',
    '--context',
    'runner-live',
    '--action',
    'execute',
    '--executor',
    'remote_codex',
    '--operator-required',
    'no',
    '--summary',
    'ran it',
    '--next',
    'arch: review',
  ];
  const cases: Array<[string, (board: string, dir: string) => void, string, CliOptions?]> = [
    ['a FIFO', (board) => execFileSync('mkfifo', [board]), 'not a regular file'],
    [
      'a 9 MiB file',
      (board) => writeFileSync(board, Buffer.alloc(9 * 1024 * 1024, 'x')),
      '9.0 MiB is more than the 8.0 MiB such a file may have',
    ],
    ['a directory', (board) => mkdirSync(board), 'it is a directory'],
    [
      "root's 0600 board, read by nobody",
      (board, dir) => {
        // nobody can reach the repository, and write the log, but not read the board.
        for (let d = dir; d !== '/'; d = dirname(d)) chmodSync(d, statSync(d).mode | 0o755);
        chmodSync(join(dir, LOG), 0o666);
        chmodSync(dirname(join(dir, LOG)), 0o777);
        writeFileSync(board, read(FIXTURE, BOARD), { mode: 0o600 });
      },
      'permission denied',
      { asUser: 'nobody', env: { HOME: '/nonexistent', XDG_CACHE_HOME: '/nonexistent' } },
    ],
  ];
  for (const [what, make, reason, options] of cases) {
    const dir = copy();
    const board = join(dir, BOARD);
    rmSync(board);
    make(board, dir);
    const before = read(dir, LOG);
    const result = await bounded(dir, add, options);
    assert.equal(result.signal, null, `${what}: waited on it`);
    assert.equal(result.code, 2, `${what}: ${result.stderr}`);
    assert.equal(result.stderr, `hutctl: ${board}: ${reason}\n`, what);
    assert.equal(read(dir, LOG), before, `${what}: nothing written`);
  }
  // A repository without a board (docs/coordination.md): no owner to check, the entry goes in.
  const dir = copy();
  const refused = await bounded(dir, add);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /owner of GOAL-001\/WS4 is infra:agent/);
  rmSync(join(dir, BOARD));
  const added = await bounded(dir, add);
  assert.equal(added.code, 0, added.stderr);
  assert.match(
    read(dir, LOG),
    /\| GOAL-001\/WS4 \| runner-live \| execute \| no \| executor=remote_codex ran it \|/,
  );
});

test('an edit that would push a document past 8 MiB is refused whole, naming it and the limit', async () => {
  // A document just under the limit: hutctl reads it, but one more entry would put it beyond
  // what hutctl reads, and nothing could edit (or read) it afterwards.
  const LIMIT = 8 * 1024 * 1024;
  const pad = (dir: string, rel: string) => {
    const text = read(dir, rel);
    const filler = `\n<!-- ${'x'.repeat(LIMIT - Buffer.byteLength(text) - 12)} -->\n`;
    writeFileSync(join(dir, rel), text + filler);
    assert.ok(statSync(join(dir, rel)).size <= LIMIT);
    return readFileSync(join(dir, rel));
  };
  const edits: Array<[string, string[]]> = [
    [
      LOG,
      [
        'handoff',
        'add',
        '--agent',
        'runner:codex',
        '--goal',
        'GOAL-001/WS9',
        '--context',
        'runner-live',
        '--action',
        'delegate',
        '--operator-required',
        'no',
        '--summary',
        'Implemented POWER-CTL-001 `abc1234`',
        '--next',
        'arch: review',
      ],
    ],
    [
      BOARD,
      [
        'board',
        'set',
        'GOAL-001/WS9',
        '--next-action',
        'wire the relay, then run the soak test for a day and file what it found '.repeat(4),
      ],
    ],
  ];
  for (const [rel, args] of edits) {
    const dir = copy();
    const before = pad(dir, rel);
    const result = await bounded(dir, args);
    assert.equal(result.signal, null);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    // Both round to 8.0 MiB: said in bytes.
    const size = /the edit would make it (\d+) bytes, more than the 8388608 \(8\.0 MiB\)/.exec(
      result.stderr,
    );
    assert.ok(size && Number(size[1]) > LIMIT, result.stderr);
    assert.equal(
      result.stderr,
      `hutctl: ${join(dir, rel)}: the edit would make it ${size[1]} bytes, more than the 8388608 (8.0 MiB) hutctl reads of such a file; nothing was changed\n  make room in it first (move old entries to another file), then run this again\n`,
    );
    assert.deepEqual(readFileSync(join(dir, rel)), before, `${rel} was changed`);
    // And the document is still one hutctl reads.
    assert.equal((await bounded(dir, ['board', 'show'])).code, 0);
  }
});

test('tickets: ids allocated per day without collision, even in parallel; set edits one row', async () => {
  const dir = copy();
  const QUEUE = 'documentation/short-term/coordination/ad_hoc_ticket_queue.md';
  const before = read(dir, QUEUE).split('\n');
  const add = (n: number) =>
    hutctl(
      dir,
      'ticket',
      'add',
      '--scope',
      `request ${n}`,
      '--goal',
      'GOAL-001/WS9',
      '--owner',
      'runner:codex',
      '--next',
      'triage',
      '--json',
    );
  const results = await Promise.all([add(1), add(2), add(3)]);
  const ids = results.map((r) => JSON.parse(r.stdout).id).sort();
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  assert.deepEqual(ids, [`ADHOC-${day}-01`, `ADHOC-${day}-02`, `ADHOC-${day}-03`]);
  const after = read(dir, QUEUE).split('\n');
  assert.equal(after.length, before.length + 3);
  const bad = await hutctl(dir, 'ticket', 'set', 'ADHOC-20260212-02', '--status', 'closed');
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /'closed' is invalid\. Allowed choices are open, in_progress, blocked, done, declined/,
  );
  const set = await hutctl(
    dir,
    'ticket',
    'set',
    'ADHOC-20260212-02',
    '--status',
    'blocked',
    '--json',
  );
  assert.equal(set.code, 0, set.stderr);
  assert.equal(JSON.parse(set.stdout).status, 'blocked');
  const list = JSON.parse(
    (await hutctl(dir, 'ticket', 'list', '--status', 'blocked', '--json')).stdout,
  );
  assert.deepEqual(
    list.map((t: { id: string }) => t.id),
    ['ADHOC-20260212-02'],
  );
});

test('transport lock rewrites only its key lines and reads back locked', async () => {
  const dir = copy();
  const LOCK = 'documentation/agents/remote_transport_lock.md';
  const before = read(dir, LOCK).split('\n');
  assert.match(
    (await hutctl(dir, 'transport', 'status')).stdout,
    /^evaluating: primary ssh, fallback ssh/,
  );
  assert.equal((await hutctl(dir, 'transport', 'lock', 'carrier_pigeon')).code, 2);
  const locked = await hutctl(dir, 'transport', 'lock', 'codex_app_server', '--json');
  assert.equal(locked.code, 0, locked.stderr);
  assert.equal(JSON.parse(locked.stdout).primary_transport, 'codex_app_server');
  const after = read(dir, LOCK).split('\n');
  const changed = after.filter((l, i) => l !== before[i]);
  assert.equal(changed.length, 3);
  const status = JSON.parse((await hutctl(dir, 'transport', 'status', '--json')).stdout);
  assert.equal(status.status, 'locked');
  assert.equal(status.primary_transport, 'codex_app_server');
  assert.match(status.locked_at_utc, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
});

test('SHAs in every written form and evidence names in four timestamp styles', async () => {
  const { shaRefs, evidenceRefs, evidenceInstant } = await import('../../src/docs/index.ts');
  assert.deepEqual(
    shaRefs(
      'pushed `runner/runner-agent@c03a9a0`, range `6255908..bbad5d5`, also `33ef496`..`bbad5d5`, and `2ebd4da`',
    ),
    [
      { sha: 'bbad5d5', repo: null, from: '6255908' },
      { sha: 'bbad5d5', repo: null, from: '33ef496' },
      { sha: 'c03a9a0', repo: 'runner/runner-agent', from: null },
      { sha: '2ebd4da', repo: null, from: null },
    ],
  );
  assert.equal(
    evidenceInstant('runner_hil_topo_inventory_20260213_215705_utc.log'),
    '2026-02-13T21:57:05Z',
  );
  assert.equal(
    evidenceInstant('runner_first_heartbeat_20260212_2209_utc.log'),
    '2026-02-12T22:09:00Z',
  );
  assert.equal(
    evidenceInstant('runner_ws8_push_retry_20260213T044210Z.log'),
    '2026-02-13T04:42:10Z',
  );
  assert.equal(evidenceInstant('lxd_ws2_smoke_20260212.log'), '2026-02-12T00:00:00Z');
  const refs = evidenceRefs(
    'see `/home/runner/x/runner_ws8_push_handshake_20260213T141012Z.log` and `test/build/log/lxd_ws2_report_20260212.json`',
  );
  assert.deepEqual(
    refs.map((r) => [r.name, r.role, r.utc]),
    [
      ['runner_ws8_push_handshake_20260213T141012Z.log', 'runner', '2026-02-13T14:10:12Z'],
      ['lxd_ws2_report_20260212.json', null, '2026-02-12T00:00:00Z'],
    ],
  );
  const entries = parseHandoffLog(read(FIXTURE, LOG), LOG);
  assert.ok(
    entries.some((e) =>
      e.shas.some((s) => s.repo === 'runner/runner-agent' && s.sha === 'c03a9a0'),
    ),
  );
});

test('GOAL documents: header, WS sections, checklist; ticking one item changes one line and Last updated', async () => {
  const { parseGoal, tickChecklist } = await import('../../src/docs/index.ts');
  const path = 'documentation/short-term/active/GOAL-001-lxd-codex-hardware-ci.md';
  const text = read(FIXTURE, path);
  const goal = parseGoal(text, path);
  assert.equal(goal.id, 'GOAL-001');
  assert.equal(goal.status, 'active');
  assert.equal(goal.owner, 'arch:codex');
  assert.deepEqual(goal.workstreams.map((w) => w.ws).slice(0, 3), ['WS1', 'WS2', 'WS3']);
  assert.deepEqual(
    [goal.checklist.filter((c) => c.checked).length, goal.checklist.length],
    [3, 11],
  );
  const ticked = tickChecklist(text, path, 'Runner VM provisioned', true, '2026-11-24');
  const before = text.split('\n');
  const after = ticked.split('\n');
  const changed = after.flatMap((l, i) => (l === before[i] ? [] : [l]));
  assert.deepEqual(changed, [
    'Last updated: 2026-11-24',
    '- [x] Runner VM provisioned with reproducible baseline',
  ]);
  assert.throws(
    () => tickChecklist(text, path, 'Runner', true, 'x'),
    /checklist item\(s\) match "Runner"/,
  );
  const dir = copy();
  const cli = await hutctl(dir, 'goal', 'tick', 'GOAL-001', 'Runner VM provisioned', '--json');
  assert.equal(cli.code, 0, cli.stderr);
  const item = JSON.parse(cli.stdout).find((c: { text: string }) =>
    c.text.startsWith('Runner VM provisioned'),
  );
  assert.equal(item.checked, true);
  assert.equal(parseGoal(read(dir, path), path).checklist.filter((c) => c.checked).length, 4);
});
