/**
 * Lossless edits, as properties: the team's real documents mutated the ways files really are
 * (CRLF, BOM, Latin-1 and invalid bytes, NULs, huge lines, no final newline), edited by every
 * writer of these documents; the result must be the original bytes with exactly the intended
 * lines inserted or replaced — or, when the document cannot be edited, byte-identical.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addTicket,
  editDocument,
  editRow,
  formatHandoff,
  insertHandoff,
  lockTransport,
  parseBoard,
  parseTickets,
  readDocument,
  setTicket,
  tickChecklist,
} from '../../src/docs/index.ts';
import { isHutError } from '../../src/errors/index.ts';
import { encodeText } from '../../src/files/index.ts';
import { type HilResult, recordSurface, updateSlotRows } from '../../src/hil/index.ts';
import {
  BOARD,
  expectedBytes,
  fixtureBytes,
  GOAL1,
  GOAL2,
  LOG,
  mutated,
  QUEUE,
  repoCopy,
  type Splice,
  split,
  TRANSPORT,
} from '../support/docbytes.ts';
import { RUNS } from '../support/hostile.ts';

const NOW = new Date('2026-11-24T10:15:00Z');
const TODAY = '2026-11-24';

/** Lines replaced in place (same line count): one splice per line that differs. */
function replaced(before: string, after: string): Splice[] {
  const a = before.split('\n');
  const b = after.split('\n');
  assert.equal(a.length, b.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [{ at: i, remove: 1, insert: [b[i]!] }]));
}

function assertBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  assert.fail(
    `${what}: bytes differ at offset ${at} (actual ${actual.length} bytes, expected ${expected.length}): ` +
      `${JSON.stringify(actual.subarray(Math.max(0, at - 20), at + 20).toString('latin1'))} vs ` +
      `${JSON.stringify(expected.subarray(Math.max(0, at - 20), at + 20).toString('latin1'))}`,
  );
}

/**
 * One property over one document: write the mutated bytes, let `plan` compute (with the pure
 * editor, on the text) what should change, run the real edit, compare bytes. A document the
 * editor refuses must come back untouched, with a HutError.
 */
async function lossless(
  rel: string,
  runs: number,
  edit: (path: string) => Promise<unknown>,
  plan: (text: string) => Splice[],
): Promise<void> {
  const repo = repoCopy();
  const path = join(repo, rel);
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(mutated(fixtureBytes(rel)), async (bytes) => {
      writeFileSync(path, bytes);
      let splices: Splice[] | null;
      try {
        splices = plan(readDocument(path));
      } catch (error) {
        if (!isHutError(error)) throw error;
        splices = null;
      }
      try {
        await edit(path);
      } catch (error) {
        assert.ok(isHutError(error), String(error));
        assert.equal(splices, null, `refused although the editor accepts it: ${error}`);
        assertBytes(readFileSync(path), bytes, 'a refused edit changed the file');
        return;
      }
      assert.ok(splices, 'accepted although the editor refuses it');
      accepted++;
      assertBytes(readFileSync(path), expectedBytes(bytes, splices, encodeText), rel);
    }),
    RUNS(runs),
  );
  assert.ok(accepted > runs / 4, `only ${accepted} of ${runs} documents were edited`);
}

const fenceOf = (text: string) => {
  const lines = text.split('\n');
  const entries = lines.findIndex((l) => l.trim() === 'Entries:');
  return entries < 0 ? -1 : lines.findIndex((l, i) => i > entries && l.trim().startsWith('```'));
};

test('handoff add: random bytes around the entries stay byte for byte, the entry goes in first', async () => {
  let n = 0;
  let line = '';
  await lossless(
    LOG,
    300,
    (path) => editDocument(path, (t) => insertHandoff(t, line, LOG)),
    (text) => {
      line = formatHandoff(
        {
          timestamp: NOW,
          agent: 'arch:codex',
          goal: 'GOAL-001/WS10',
          context: 'arch-local',
          action_type: 'scaffold',
          operator_required: 'no',
          summary: `entry ${++n} é 😀 \`abc1234\``,
          next_action: 'review',
        },
        () => null,
      );
      insertHandoff(text, line, LOG); // refuses what the real edit must refuse
      return [{ at: fenceOf(text) + 1, remove: 0, insert: [line] }];
    },
  );
});

test('board set and claim: the row and Last updated change, nothing else', async () => {
  const changes = [
    ['GOAL-001/WS9', { status: 'blocked', blockers: 'DEP:relay | wiring' }],
    ['GOAL-002/WS1', { owner: 'runner:codex' }],
    ['GOAL-001/WS8', { next_action: 'Evidence: `runner_x_20261124_101500_utc.log`' }],
  ] as const;
  let k = 0;
  let change: (typeof changes)[number] = changes[0];
  const apply = (t: string) => editRow(t, parseBoard(t, BOARD), change[0], { ...change[1] }, TODAY);
  await lossless(
    BOARD,
    200,
    (path) => editDocument(path, apply),
    (text) => {
      change = changes[k++ % changes.length]!;
      return replaced(text, apply(text));
    },
  );
});

test('ticket add: one row appended to the queue table, nothing else', async () => {
  const apply = (t: string) =>
    addTicket(t, QUEUE, {
      requested_by: 'operator',
      scope: 'wire | the relay',
      goal: 'GOAL-001/WS9',
      owner: 'runner:codex',
      next_action: 'order relay',
      now: NOW,
    }).text;
  await lossless(
    QUEUE,
    200,
    (path) => editDocument(path, apply),
    (text) => {
      const lines = text.split('\n');
      const header = lines.findIndex((l) => /^\|\s*Ticket ID\s*\|/.test(l));
      let end = header + 2;
      while (end < lines.length && lines[end]!.trim().startsWith('|')) end++;
      return [{ at: end, remove: 0, insert: [apply(text).split('\n')[end]!] }];
    },
  );
});

test('ticket set: one row changes, nothing else', async () => {
  const apply = (t: string) =>
    setTicket(t, QUEUE, 'ADHOC-20260212-02', { status: 'blocked', next_action: 'wait | see' });
  await lossless(
    QUEUE,
    200,
    (path) => editDocument(path, apply),
    (text) => {
      parseTickets(text, QUEUE);
      return replaced(text, apply(text));
    },
  );
});

test('transport lock: the key lines change, nothing else', async () => {
  const apply = (t: string) => lockTransport(t, TRANSPORT, 'codex_app_server', 'ssh', NOW);
  await lossless(
    TRANSPORT,
    200,
    (path) => editDocument(path, apply),
    (text) => replaced(text, apply(text)),
  );
});

test('goal tick: the item and Last updated change, nothing else', async () => {
  const apply = (t: string) => tickChecklist(t, GOAL1, 'Runner VM provisioned', true, TODAY);
  await lossless(
    GOAL1,
    200,
    (path) => editDocument(path, apply),
    (text) => replaced(text, apply(text)),
  );
});

test('hil surface --update-docs: the handoff entry and the slot rows, nothing else in either file', async () => {
  const repo = repoCopy();
  const logPath = join(repo, LOG);
  const goalPath = join(repo, GOAL2);
  const result = (slot: string, status: HilResult['status']): HilResult => ({
    schema_version: 'hutctl.hil-result.v1',
    commit_sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    lane: 'local-hil',
    slot,
    platform: 'i2s',
    test_id: 'HW-BOOT-001',
    status,
    phase: 'boot',
    reason: status === 'pass' ? 'ready' : 'panic |\r\nGuru Meditation Error\u2028x',
    power_cycles: 1,
    recovery_events: 0,
    recoveries: [],
    reset_reason: null,
    app_version: null,
    expected_version: null,
    flash_ms: 10,
    boot_ms: 20,
    evidence: [`/e/runner_hil_${slot}_20261124_101500_utc.log`],
    started_utc: '2026-11-24T10:15:00Z',
    ended_utc: '2026-11-24T10:16:00Z',
    duration_sec: 60,
  });
  const results = [result('hut-01', 'pass'), result('hut-02', 'fail')];
  const serial = (slot: string) => `usb-SIM|${slot}-if00`;
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(
      mutated(fixtureBytes(LOG)),
      mutated(fixtureBytes(GOAL2)),
      async (log, goal) => {
        writeFileSync(logPath, log);
        writeFileSync(goalPath, goal);
        const logText = readDocument(logPath);
        const goalText = readDocument(goalPath);
        let update: Awaited<ReturnType<typeof recordSurface>>;
        try {
          update = await recordSurface(repo, results, {
            agent: 'runner:hutctl',
            executor: 'remote_codex',
            goal: 'GOAL-002/WS3',
            slotSerial: serial,
            now: NOW,
          });
        } catch (error) {
          assert.ok(isHutError(error), String(error));
          assertBytes(readFileSync(logPath), log, 'a refused handoff entry changed the log');
          assertBytes(readFileSync(goalPath), goal, 'a refused record changed the GOAL');
          return;
        }
        accepted++;
        assert.doesNotMatch(update.handoff_line, /[\r\n\u2028]/);
        const at = fenceOf(logText) + 1;
        assertBytes(
          readFileSync(logPath),
          expectedBytes(log, [{ at, remove: 0, insert: [update.handoff_line] }], encodeText),
          'handoff log',
        );
        const lines = goalText.split('\n');
        const header = lines.findIndex((l) => /^\|\s*Slot ID\s*\|/.test(l));
        let splices: Splice[] = [];
        if (update.inventory) {
          let end = header + 2;
          while (end < lines.length && lines[end]!.trim().startsWith('|')) end++;
          const slotOf = (row: string) => row.split('|')[1]?.trim() ?? '';
          const body = lines.slice(header + 2, end);
          const after = updateSlotRows(goalText, results, serial).text.split('\n');
          const rows = after.slice(header + 2, end + after.length - lines.length);
          if (
            !body.every((r) => slotOf(r) === 'pending' || results.some((x) => x.slot === slotOf(r)))
          ) {
            // Rows the record keeps as they were: only the lines around the table are compared.
            const before = split(goal);
            const now = split(readFileSync(goalPath));
            assert.deepEqual(now.slice(0, header + 1), before.slice(0, header + 1));
            assert.deepEqual(now.slice(now.length - (before.length - end)), before.slice(end));
            return;
          }
          // The table's delimiter row is rewritten in the compact style, with the rows.
          splices = [
            { at: header + 1, remove: end - header - 1, insert: [after[header + 1]!, ...rows] },
          ];
        }
        assertBytes(readFileSync(goalPath), expectedBytes(goal, splices, encodeText), 'GOAL-002');
      },
    ),
    RUNS(100),
  );
  assert.ok(accepted > 25, `only ${accepted} of 100 records were made`);
});
