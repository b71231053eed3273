/** lint docs: markdownlint plus the semantic rules, on the team's files and on small fixtures. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lintDocs } from '../../src/docs/lint.ts';
import { runCli, tempDir } from '../support/cli.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url));

test("the team's documents: the drift the formats guide describes is found", () => {
  const findings = lintDocs(FIXTURE);
  const rules = (rule: string) => findings.filter((f) => f.rule === rule);
  assert.ok(
    rules('MD056/table-column-count').some((f) => f.file.endsWith('workstream_board.md')),
    '7-cell board rows',
  );
  assert.ok(rules('hutctl/missing-executor').length > 0);
  assert.ok(rules('hutctl/owner-format').some((f) => /agent 'codex'/.test(f.message)));
  assert.match(
    rules('hutctl/checklist-drift')[0]!.message,
    /checklist says 3\/11 while the board shows \d+ of \d+ GOAL-001 workstreams done/,
  );
  assert.equal(
    rules('hutctl/evidence-prefix').length,
    0,
    'unprefixed evidence appears only in legacy entries',
  );
  assert.equal(rules('hutctl/legacy-entry').length, 11);
  assert.ok(
    rules('hutctl/legacy-entry').every((f) => f.severity === 'info'),
    'legacy entries are accepted history',
  );
});

function small(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

const BOARD = (status: string, owner: string, updated = '2026-02-13') =>
  `# Workstream Board\n\nLast updated: ${updated}\n\n| Goal ID | Workstream | Owner | Status | Blockers | Next Action |\n|---|---|---|---|---|---|\n| GOAL-009 | WS1: Thing | ${owner} | ${status} | none | go |\n`;
const LOG = (entry: string) => `# Handoff Log\n\nEntries:\n\n\`\`\`text\n${entry}\n\`\`\`\n`;

test('small fixtures: one finding per rule', () => {
  const dir = small({
    'documentation/short-term/coordination/workstream_board.md': BOARD(
      'in_progress',
      'runner:tbd',
      '2026-01-01',
    ),
    'documentation/short-term/coordination/handoff_log.md': LOG(
      '2026-02-13 10:00 UTC | runner:codex | GOAL-009/WS1 | vm-live | run | maybe | did it, see `test/build/log/smoke_20260213.log` | next | none',
    ),
    'documentation/short-term/coordination/ad_hoc_ticket_queue.md':
      '# Q\n\n| Ticket ID | Requested UTC | Requested By | Scope Summary | Linked Goal/WS | Owner | Status | Next Action | Evidence |\n|---|---|---|---|---|---|---|---|---|\n| ADHOC-20260213-01 | x | y | z | g | o | open | n | e |\n| ADHOC-20260213-01 | x | y | z | g | o | open | n | e |\n',
  });
  const rules = lintDocs(dir).map((f) => f.rule);
  for (const rule of [
    'hutctl/enum',
    'hutctl/owner-format',
    'hutctl/stale-last-updated',
    'hutctl/duplicate-ticket',
    'hutctl/evidence-prefix',
  ]) {
    assert.ok(rules.includes(rule), `${rule} in ${rules.join(', ')}`);
  }
  assert.equal(
    rules.filter((r) => r === 'hutctl/enum').length,
    3,
    'context, action_type, operator_required',
  );
});

test('the ratchet: CI fails only when findings increase, --strict on any', async () => {
  const dir = join(tempDir(), 'repo');
  cpSync(FIXTURE, dir, { recursive: true });
  const lint = (...args: string[]) => runCli(['lint', 'docs', '--docs', dir, ...args]);
  assert.equal((await lint()).code, 1, 'no baseline: every finding is new');
  assert.equal((await lint('--update-baseline')).code, 0);
  assert.equal((await lint()).code, 0, 'same findings as the baseline');
  assert.equal((await lint('--strict')).code, 1);
  const log = join(dir, 'documentation/short-term/coordination/handoff_log.md');
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(log, 'utf8').replace(
    'Entries:\n\n```text\n',
    'Entries:\n\n```text\n2026-02-13 10:00 UTC | arch:codex | GOAL-001/WS9 | arch-local | execute | no | forgot the executor | next | none\n',
  );
  writeFileSync(log, text);
  const worse = await lint('--json');
  assert.equal(worse.code, 1);
  const json = JSON.parse(worse.stdout);
  assert.deepEqual(json.increased, [
    `hutctl/missing-executor: ${json.baseline['hutctl/missing-executor']} -> ${json.counts['hutctl/missing-executor']}`,
  ]);
  assert.deepEqual(Object.keys(json.report), [
    'scope',
    'command',
    'before_errors',
    'after_errors',
    'residual_risk',
  ]);
});

test('lint docs: a document that is a FIFO, a device or huge is a finding, a baseline that is one an error; neither waited on', async () => {
  const dir = small({
    'documentation/short-term/coordination/workstream_board.md': BOARD('pending', 'runner:codex'),
  });
  mkdirSync(join(dir, 'documentation/agents'));
  execFileSync('mkfifo', [join(dir, 'documentation/short-term/fifo.md')]);
  symlinkSync('/dev/zero', join(dir, 'documentation/agents/zero.md'));
  writeFileSync(join(dir, 'documentation/agents/big.md'), Buffer.alloc(9 * 1024 * 1024, 'x'));
  const lint = (...args: string[]) =>
    runCli(['lint', 'docs', '--docs', dir, ...args], { killAfterMs: 20_000 });
  const result = await lint('--json');
  assert.equal(result.signal, null, 'waited on a document');
  assert.equal(result.code, 1, result.stderr);
  const unreadable = (JSON.parse(result.stdout).findings as Array<Record<string, unknown>>).filter(
    (f) => f.rule === 'hutctl/unreadable',
  );
  assert.deepEqual(unreadable, [
    {
      file: 'documentation/agents/big.md',
      line: 1,
      rule: 'hutctl/unreadable',
      severity: 'error',
      message: 'cannot read: 9.0 MiB is more than the 8.0 MiB such a file may have',
    },
    {
      file: 'documentation/agents/zero.md',
      line: 1,
      rule: 'hutctl/unreadable',
      severity: 'error',
      message: 'cannot read: not a regular file',
    },
    {
      file: 'documentation/short-term/fifo.md',
      line: 1,
      rule: 'hutctl/unreadable',
      severity: 'error',
      message: 'cannot read: not a regular file',
    },
  ]);
  const text = await lint();
  assert.match(
    text.stdout,
    /^documentation\/short-term\/fifo\.md:1: error hutctl\/unreadable: cannot read: not a regular file$/m,
  );
  // Named on the command line, the same.
  const named = await lint('--json', 'documentation/short-term/fifo.md');
  assert.equal(named.signal, null);
  assert.equal(JSON.parse(named.stdout).findings[0].rule, 'hutctl/unreadable');
  // The baseline: without it the ratchet means nothing, so it is an error.
  const baseline = join(dir, 'baseline.json');
  execFileSync('mkfifo', [baseline]);
  for (const args of [[], ['--update-baseline']]) {
    const refused = await lint('--baseline', baseline, ...args);
    assert.equal(refused.signal, null, 'waited on the baseline');
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stderr, `hutctl: ${baseline}: not a regular file\n`);
  }
  // And the repository's markdownlint settings: linting without them would be linting otherwise.
  const settings = join(dir, '.markdownlint.json');
  execFileSync('mkfifo', [settings]);
  const unset = await lint();
  assert.equal(unset.signal, null, 'waited on .markdownlint.json');
  assert.equal(unset.code, 2, unset.stderr);
  assert.equal(unset.stderr, `hutctl: ${settings}: not a regular file\n`);
});

test('lint docs: a baseline that is not JSON, or not a baseline, is one line naming it and the problem; --update-baseline replaces it', async () => {
  const dir = small({
    'documentation/short-term/coordination/workstream_board.md': BOARD('pending', 'runner:codex'),
  });
  const baseline = join(dir, 'baseline.json');
  const lint = (...args: string[]) =>
    runCli(['lint', 'docs', '--docs', dir, '--baseline', baseline, ...args], {
      killAfterMs: 20_000,
    });
  const hint =
    '  fix it, or write it anew from the current findings: hutctl lint docs --update-baseline\n';
  const cases: Array<[string, string]> = [
    ['{"counts": {"MD013/line-length": 1,}}\n', 'not valid JSON: '],
    ['', 'not valid JSON: '],
    ['[]', 'not a lint baseline: expected {"counts": {"<rule>": <count>, …}}'],
    ['{}', 'not a lint baseline: expected {"counts": {"<rule>": <count>, …}}'],
    ['{"counts": {"x": -1}}', 'not a lint baseline: expected {"counts": {"<rule>": <count>, …}}'],
    // An invisible byte order mark is shown escaped, and said for what it is.
    [
      '\ufeff{"counts": {}}\n',
      'not valid JSON: unexpected character "\\ufeff" at the start (a byte order mark: save the file without one)',
    ],
    ['{"counts": \u200b{}}', 'not valid JSON: unexpected character "\\u200b"'],
  ];
  for (const [text, problem] of cases) {
    writeFileSync(baseline, text);
    const result = await lint();
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    const [first, second, ...rest] = result.stderr.split('\n');
    assert.ok(first!.startsWith(`hutctl: ${baseline}: ${problem}`), result.stderr);
    assert.equal(`${second}\n`, hint);
    assert.deepEqual(rest, ['']);
    assert.doesNotMatch(result.stderr, /unexpected error|--debug/);
    assert.doesNotMatch(result.stderr, /[\ufeff\u200b]/, 'an invisible character printed as is');
    assert.equal(readFileSync(baseline, 'utf8'), text, 'the baseline was changed');
  }
  // As the hint says: --update-baseline writes it anew, and the ratchet then holds.
  const updated = await lint('--update-baseline');
  assert.equal(updated.code, 0, updated.stderr);
  assert.ok(JSON.parse(readFileSync(baseline, 'utf8')).counts);
  assert.equal((await lint()).code, 0);
});

test('lint docs: a .markdownlint.json that is not JSON, or not an object, is one line naming it and where it breaks', async () => {
  const dir = small({
    'documentation/short-term/coordination/workstream_board.md': BOARD('pending', 'runner:codex'),
  });
  const hint = "  fix it, or remove it to lint with hutctl's default rules\n";
  const cases: Array<[string, string, string]> = [
    ['.markdownlint.json', '', 'not valid JSON: it is empty'],
    [
      '.markdownlint.json',
      '{"default": true,\n  "MD013":\n',
      'not valid JSON: it ends (line 2 column 11) before the JSON does',
    ],
    [
      '.markdownlint.json',
      '{"MD013": false,}',
      'not valid JSON: Expected double-quoted property name in JSON at position 16 (line 1 column 17)',
    ],
    [
      // Whole-line comments go, and the line numbers still hold.
      '.markdownlint.jsonc',
      '// the team\'s style\n\n{\n  "MD013": false\n  "MD033": false\n}\n',
      "not valid JSON: Expected ',' or '}' after property value in JSON at position 42 (line 5 column 3)",
    ],
    [
      '.markdownlint.json',
      '[]',
      'not a markdownlint configuration: expected a JSON object ({"default": true, …})',
    ],
  ];
  for (const [name, text, problem] of cases) {
    const settings = join(dir, name);
    writeFileSync(settings, text);
    const result = await runCli(['lint', 'docs', '--docs', dir], { killAfterMs: 20_000 });
    rmSync(settings);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `hutctl: ${settings}: ${problem}\n${hint}`);
  }
});

test('lint docs: a directory where a document should be is a hutctl/unreadable finding, like a FIFO', async () => {
  const dir = small({
    'documentation/short-term/coordination/workstream_board.md': BOARD('pending', 'runner:codex'),
  });
  mkdirSync(join(dir, 'documentation/short-term/coordination/handoff_log.md'));
  mkdirSync(join(dir, 'documentation/short-term/coordination/delegations/GOAL-009_WS1_packet.md'), {
    recursive: true,
  });
  const result = await runCli(['lint', 'docs', '--docs', dir, '--json'], { killAfterMs: 20_000 });
  assert.equal(result.code, 1, result.stderr);
  const unreadable = (JSON.parse(result.stdout).findings as Array<Record<string, unknown>>).filter(
    (f) => f.rule === 'hutctl/unreadable',
  );
  assert.deepEqual(
    unreadable.map((f) => [f.file, f.message]),
    [
      [
        'documentation/short-term/coordination/delegations/GOAL-009_WS1_packet.md',
        'cannot read: it is a directory',
      ],
      ['documentation/short-term/coordination/handoff_log.md', 'cannot read: it is a directory'],
    ],
  );
});
