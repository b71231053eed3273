/**
 * `delegate` hands the role's Codex hutctl's MCP server: the real pinned codex, in a
 * loopback-only namespace, against the scripted model (test/support/codex/boards.mjs), leases a
 * board of the simulated farm, runs a command on it, reads its serial port and releases it — and
 * the farm, the job's report, the action log and the ledger show it, by the agent's name. The
 * boards' PTYs, locks and ledger are files, so they are reached from the namespace; its Home
 * Assistant is not (power is tested with the SDK's client, test/serve/mcp.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { CLI } from '../support/cli.ts';
import { CODEX, runnerWith } from '../support/codex/runner.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
let configs = 0;

/** A config for the farm whose runner is the sandboxed codex, with `codex` keys added. */
function farmWith(kind: 'local' | 'ssh', codexKeys: Record<string, string>): string {
  const file = join(t.dir, `delegate-${++configs}.yaml`);
  const farm = readFileSync(t.farm.configPath, 'utf8');
  writeFileSync(
    file,
    farm.replace('  runner: {transport: local}\n', `${runnerWith(kind, 'mock', codexKeys)}\n`),
  );
  return file;
}

async function delegate(config: string, ...args: string[]) {
  const result = await t.hutctl(['delegate', 'runner', '--timeout', '60', '--json', ...args], {
    env: { HUTCTL_CONFIG: config },
  });
  return { ...result, report: JSON.parse(result.stdout || '{}') };
}

/** The action log as the ledger has it, oldest first (after a reader has recorded its inbox). */
async function actions(): Promise<Array<Record<string, string>>> {
  assert.equal((await t.hutctl(['store', 'status'])).code, 0);
  const file = join(t.dir, 'state', 'ledger.sqlite');
  if (!existsSync(file)) return [];
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare('SELECT * FROM actions ORDER BY at_utc, rowid').all() as never;
  } finally {
    db.close();
  }
}

async function slotState(slot: string) {
  const status = JSON.parse((await t.hutctl(['slot', 'status', '--json'])).stdout);
  return status.find((s: { slot: string }) => s.slot === slot);
}

describe('delegate --mcp: the role’s Codex works on the boards through hutctl', {
  skip: existsSync(CODEX) ? false : 'the pinned codex binary is not installed (npm ci installs it)',
}, () => {
  before(async () => {
    t = await startTestFarm(2);
    // Boards in a reset loop print all the time: whatever the agent reads, it hears something.
    for (const board of t.farm.boards.values()) {
      await board.powerOff();
      board.mode = 'bootloop';
      await board.powerOn();
    }
  });
  after(() => t.stop());

  test('lease, run, serial read and release: the job, the action log and the ledger show it by the agent’s name', async () => {
    const config = farmWith('local', { mcp: 'true' });
    const before = (await actions()).length;
    const r = await delegate(config, '--prompt', 'BOARDS:esp32');
    assert.equal(r.code, 0, r.stderr);
    const match =
      /^(hut-0[12]): hello from \1 \((mcp-\S+), success\); serial: (\d+) resets, rst:0x\w+ \(\w+_RESET\),.*; released$/.exec(
        r.report.human_summary,
      );
    assert.ok(match, r.report.human_summary);
    const [, slot, jobId] = match as unknown as [string, string, string];
    assert.deepEqual(
      r.report.mcp_tool_calls.map((c: { tool: string; status: string }) => `${c.tool} ${c.status}`),
      [
        'lease_slot completed',
        'run_on_slot completed',
        'serial_read completed',
        'release_slot completed',
      ],
    );
    assert.match(
      readFileSync(r.report.log_path, 'utf8'),
      new RegExp(
        `^# hutctl's MCP server for this turn, on local: .* ${CLI} --config ${config} mcp --as runner:codex$`,
        'm',
      ),
    );

    // The run is a job like any other: its report and log, in the ledger.
    const jobs = JSON.parse((await t.hutctl(['job', 'list', '--slot', slot, '--json'])).stdout);
    const job = jobs.find((j: { job_id: string }) => j.job_id === jobId);
    assert.equal(job?.status, 'success', JSON.stringify(jobs));
    const report = readdirSync(join(t.dir, 'evidence')).find(
      (f) => f.includes(jobId) && f.endsWith('.json'),
    );
    const ws2 = JSON.parse(readFileSync(join(t.dir, 'evidence', report!), 'utf8'));
    assert.equal(ws2.schema_version, 'ws2.report.v1');
    assert.equal(ws2.slot, slot);
    assert.match(readFileSync(ws2.log_path, 'utf8'), new RegExp(`hello from ${slot}`));

    // The action log: evidence files and ledger rows, by the agent's name.
    const log = (await actions()).slice(before);
    assert.deepEqual(
      log.map((a) => [a.action, a.slot, a.by_user, a.via, a.outcome]),
      [
        ['lease', slot, 'runner:codex', 'mcp', 'done'],
        ['run', slot, 'runner:codex', 'mcp', 'done'],
        ['release', slot, 'runner:codex', 'mcp', 'done'],
      ],
    );
    assert.equal(log[1]!.job_id, jobId);
    for (const row of log) {
      const evidence = JSON.parse(readFileSync(row.evidence_path!, 'utf8'));
      assert.equal(evidence.schema_version, 'hutctl.action.v1');
      assert.equal(evidence.by, 'runner:codex');
    }
    assert.equal((await slotState(slot)).locked, false, 'the slot is free afterwards');
  });

  test('approvals: accepted under --approve accept and logged; a lease the agent keeps ends with the delegation, in the action log', async () => {
    const config = farmWith('local', { mcp: 'true' });
    const before = (await actions()).length;
    const r = await delegate(config, '--approve', 'accept', '--prompt', 'BOARDS:esp32:keep');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.report.human_summary, /^(hut-0[12]): hello from \1 .*; kept$/);
    const slot = r.report.human_summary.slice(0, 6);
    assert.deepEqual(
      r.report.approvals.map((a: string) => a.split(' {')[0]),
      ['accept: hutctl/lease_slot', 'accept: hutctl/run_on_slot', 'accept: hutctl/serial_read'],
    );
    assert.match(
      readFileSync(r.report.log_path, 'utf8'),
      new RegExp(`^# leases the agent left were released: ${slot}$`, 'm'),
    );
    const log = (await actions()).slice(before);
    assert.deepEqual(
      log.map((a) => [a.action, a.by_user]),
      [
        ['lease', 'runner:codex'],
        ['run', 'runner:codex'],
        ['release', 'runner:codex'],
      ],
    );
    assert.equal(log[2]!.reason, `the delegation ${r.report.job_id} ended`);
    assert.equal((await slotState(slot)).locked, false);
  });

  test('--approve decline: the agent’s lease is refused and nothing is touched; --no-mcp gives it no tools', async () => {
    const config = farmWith('local', { mcp: 'true' });
    const before = (await actions()).length;
    const declined = await delegate(config, '--approve', 'decline', '--prompt', 'BOARDS:esp32');
    assert.equal(declined.code, 0, declined.stderr);
    assert.match(declined.report.human_summary, /^lease_slot failed: .*rejected/);
    assert.match(declined.report.approvals[0], /^decline: hutctl\/lease_slot \{"label":"esp32"/);
    assert.equal((await actions()).length, before, 'no lease, nothing in the action log');

    const none = await delegate(config, '--no-mcp', '--prompt', 'BOARDS:esp32');
    assert.match(none.report.human_summary, /^no hutctl tool lease_slot among: exec_command, /);
    assert.equal(none.report.mcp_tool_calls, undefined);
  });

  test('over SSH with codex exec, the MCP server command given in hutctl.yaml', async () => {
    const command = [
      process.execPath,
      CLI,
      '--config',
      t.farm.configPath,
      'mcp',
      '--as',
      'vm-runner:codex',
    ];
    const config = farmWith('ssh', { mcp: `[${command.join(', ')}]` });
    const before = (await actions()).length;
    const r = await delegate(config, '--break-glass', '--prompt', 'BOARDS:esp32');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.report.mechanism, 'exec');
    assert.match(r.report.human_summary, /^(hut-0[12]): hello from \1 .*; released$/);
    assert.deepEqual(
      (await actions()).slice(before).map((a) => [a.action, a.by_user]),
      [
        ['lease', 'vm-runner:codex'],
        ['run', 'vm-runner:codex'],
        ['release', 'vm-runner:codex'],
      ],
    );
  });

  test('an MCP server that cannot start fails the delegation at once, saying where to look', async () => {
    const config = farmWith('local', {
      mcp: `[${process.execPath}, ${CLI}, --config, /nonexistent.yaml, mcp]`,
    });
    const r = await delegate(config, '--prompt', 'BOARDS:esp32');
    assert.equal(r.code, 1);
    assert.match(
      r.report.human_summary,
      /^Delegation to runner failed: .*MCP servers failed to initialize.* \(hutctl's MCP server did not start on local: run .* mcp there to see why\)$/,
    );
  });
});
