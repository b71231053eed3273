/** lint docs: markdownlint plus the semantic rules, on the team's files and on small fixtures. */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
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
