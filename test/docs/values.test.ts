/**
 * Hostile values for every field hutctl writes into a document: each is refused with a one-line
 * error and the document left byte-identical, or accepted — and then the document still reads
 * as before plus exactly that value, where it was meant to go.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  delegationGate,
  documentValue,
  flattenValue,
  parseBoard,
  parseHandoffLog,
  parseTickets,
  tableCells,
  valueProblem,
} from '../../src/docs/index.ts';
import { runCli } from '../support/cli.ts';
import { BOARD, LOG, QUEUE, repoCopy } from '../support/docbytes.ts';
import { assertCleanError, hostileString, hostileValue, RUNS } from '../support/hostile.ts';

/** What argv can carry: no NUL, and UTF-8 (a lone surrogate arrives as U+FFFD). */
const argv = (v: string) => Buffer.from(v, 'utf8').toString('utf8');
const cliValue = hostileValue.filter((v) => !v.includes('\0'));

test('the value check: what it accepts cannot change a line, a field or a cell', () => {
  fc.assert(
    fc.property(hostileValue, fc.constantFrom('field', 'cell', 'line' as const), (value, kind) => {
      const problem = valueProblem(value, kind);
      const breaking =
        /[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(value) ||
        /[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
      if (breaking) assert.ok(problem, `accepted ${JSON.stringify(value)} as ${kind}`);
      if (problem) {
        assert.throws(() => documentValue('doc', 'x', value, kind), /^HutError: doc: x /);
        return;
      }
      const written = documentValue('doc', 'x', value, kind);
      if (kind === 'field') {
        const line = ['a', written, 'b'].join(' | ');
        assert.deepEqual(line.split(' | '), ['a', value, 'b']);
      } else if (kind === 'cell') {
        const cells = tableCells(`| a | ${written} | b |`);
        assert.equal(cells.length, 3);
        assert.equal(cells[1], written.trim());
        assert.doesNotMatch(written, /(?<!\\)\|/, 'no unescaped | is left');
      }
      assert.equal(`${written}`.split('\n').length, 1);
      // Text hutctl did not write itself is always made to fit.
      assert.equal(valueProblem(flattenValue(value, kind), kind), null);
    }),
    RUNS(5000),
  );
});

const FIELDS = ['agent', 'goal', 'summary', 'next', 'blocker', 'tag'] as const;

test('handoff add with a hostile value in any field: refused cleanly, or one more entry and the gate unchanged', async () => {
  const repo = repoCopy();
  const log = join(repo, LOG);
  const valid: Record<(typeof FIELDS)[number], string> = {
    agent: 'arch:codex',
    goal: 'GOAL-001/WS10',
    summary: 'did it',
    next: 'review',
    blocker: 'none',
    tag: 'WS10-A',
  };
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...FIELDS), cliValue, async (field, value) => {
      const before = readFileSync(log);
      const board = parseBoard(readFileSync(join(repo, BOARD), 'utf8'), BOARD);
      const was = parseHandoffLog(before.toString('utf8'), LOG);
      const v = { ...valid, [field]: value };
      const result = await runCli([
        'handoff',
        'add',
        `--docs=${repo}`,
        `--agent=${v.agent}`,
        `--goal=${v.goal}`,
        '--context=arch-local',
        '--action=scaffold',
        '--operator-required=no',
        `--summary=${v.summary}`,
        `--next=${v.next}`,
        `--blocker=${v.blocker}`,
        `--tag=thread_ref=${v.tag}`,
      ]);
      if (result.code !== 0) {
        assertCleanError(result, [2]);
        assert.deepEqual(readFileSync(log), before, 'a refused entry changed the log');
        return;
      }
      accepted++;
      const now = parseHandoffLog(readFileSync(log, 'utf8'), LOG);
      assert.equal(now.length, was.length + 1);
      assert.deepEqual(
        now.slice(1).map((e) => e.raw),
        was.map((e) => e.raw),
      );
      const entry = now[0]!;
      assert.equal(entry.form, 'v2');
      assert.deepEqual(
        [entry.agent, entry.goal, entry.summary, entry.next_action, entry.blocker],
        [v.agent, v.goal, `thread_ref=${v.tag} ${v.summary}`, v.next, v.blocker].map(argv),
      );
      for (const row of board.rows) {
        const ref = `${row.goal}/${row.ws}`;
        if (entry.goal === ref || entry.goal.startsWith(`${ref}-`)) continue;
        const gate = (entries: typeof was) =>
          delegationGate(board, entries, ref).map((c) => c.pass);
        assert.deepEqual(gate(now), gate(was), `the gate of ${ref} changed`);
      }
    }),
    RUNS(80),
  );
  assert.ok(accepted > 10, `only ${accepted} of 80 entries were accepted`);
});

test('board and ticket cells with hostile values: refused cleanly, or one cell holds the value', async () => {
  const repo = repoCopy();
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      hostileString().filter((v) => !v.includes('\0')),
      async (onBoard, value) => {
        const rel = onBoard ? BOARD : QUEUE;
        const before = readFileSync(join(repo, rel));
        const result = onBoard
          ? await runCli([
              'board',
              'set',
              'GOAL-001/WS9',
              `--next-action=${value}`,
              `--docs=${repo}`,
            ])
          : await runCli([
              'ticket',
              'set',
              'ADHOC-20260212-02',
              `--next=${value}`,
              `--evidence=${value}`,
              `--docs=${repo}`,
            ]);
        if (result.code !== 0) {
          assertCleanError(result, [2]);
          assert.deepEqual(readFileSync(join(repo, rel)), before);
          return;
        }
        accepted++;
        const text = readFileSync(join(repo, rel), 'utf8');
        const was = before.toString('utf8').split('\n');
        const now = text.split('\n');
        assert.equal(now.length, was.length, 'no line added or removed');
        const expected = documentValue('x', 'x', argv(value), 'cell').trim();
        if (onBoard) {
          const row = parseBoard(text, BOARD).rows.find(
            (r) => r.goal === 'GOAL-001' && r.ws === 'WS9',
          )!;
          const old = parseBoard(before.toString('utf8'), BOARD).rows.find(
            (r) => r.goal === 'GOAL-001' && r.ws === 'WS9',
          )!;
          assert.equal(row.next_action, expected);
          assert.deepEqual(row.extra, old.extra, 'the cells after it stay');
        } else {
          const t = parseTickets(text, QUEUE).find((x) => x.id === 'ADHOC-20260212-02')!;
          assert.deepEqual([t.next_action, t.evidence], [expected, expected]);
          assert.equal(tableCells(now[t.line - 1]!).length, 9);
        }
      },
    ),
    RUNS(60),
  );
  assert.ok(accepted > 8, `only ${accepted} of 60 cell values were accepted`);
});
