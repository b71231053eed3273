/**
 * The MCP tools with the SDK's own client, against the simulated farm: `hutctl mcp` on stdio and
 * `/mcp` on `serve` (Streamable HTTP). Leases are the slots' flocks: a second agent is refused
 * with who holds the slot, a tool needs the caller's own lease, a killed agent's slot is free at
 * once, a vanished HTTP session's after its TTL; runs and power cycles leave the CLI's evidence
 * and the action log's entry; /mcp wants the token.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI, tempDir, waitFor } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';
import { call, startServe, type TestServe } from '../support/serve.ts';

let t: TestFarm;
let s: TestServe;
const clients: Client[] = [];
before(async () => {
  t = await startTestFarm(2);
  s = await startServe(t);
});
after(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await s.stop();
  await t.stop();
});

const CACHE = tempDir('hutctl-cache-');

/** An agent that starts `hutctl mcp` itself, as Codex does. */
async function stdioAgent(name: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp'],
    cwd: t.dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      HUTCTL_CONFIG: t.farm.configPath,
      XDG_CACHE_HOME: CACHE,
    },
    stderr: 'pipe',
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** An agent of `serve`'s /mcp. */
async function httpAgent(name: string, token: string | null = s.token) {
  const transport = new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** A tool's answer: its JSON, or its text when it refused. */
async function use(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as {
    content: Array<{ text: string }>;
    isError?: boolean;
  };
  const text = result.content[0]!.text;
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields it expects
  return result.isError ? { refused: text } : (JSON.parse(text) as any);
}

async function locked(slot: string): Promise<boolean> {
  const status = JSON.parse((await t.hutctl(['slot', 'status', '--json'])).stdout);
  return status.find((x: { slot: string }) => x.slot === slot).locked;
}

interface ActionEntry {
  action: string;
  slot: string | null;
  job_id: string | null;
  by: string;
  via: string;
  reason: string;
  outcome: string;
}

/** The action log, newest first (from serve, which reads the ledger). */
async function actions(): Promise<ActionEntry[]> {
  return (await call(s, '/api/actions')).body;
}

test('the tools, listed with their input schemas, on stdio and on /mcp', async () => {
  const want = [
    'add_handoff',
    'hil_run',
    'job_status',
    'lease_slot',
    'list_slots',
    'power_cycle',
    'release_all',
    'release_slot',
    'run_on_slot',
    'serial_read',
  ];
  for (const { client } of [await stdioAgent('lister'), await httpAgent('lister')]) {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((x) => x.name).sort(), want);
    for (const tool of tools) {
      assert.ok(tool.description, tool.name);
      assert.equal(tool.inputSchema.type, 'object', tool.name);
    }
    const slots = await use(client, 'list_slots');
    assert.deepEqual(
      slots.map((x: { slot: string; state: string }) => `${x.slot} ${x.state}`),
      ['hut-01 free', 'hut-02 free'],
    );
    await client.close();
  }
});

test('a lease by label; another agent is refused with who holds it; no tool without your lease; run of true writes a ws2 report', async () => {
  const a = await stdioAgent('agent-a');
  const b = await httpAgent('agent-b');
  const lease = await use(a.client, 'lease_slot', { label: 'esp32-hut-01' });
  assert.equal(lease.slot, 'hut-01');
  assert.match(lease.lease, /^lease-[0-9a-f]+$/);
  assert.equal(await locked('hut-01'), true);

  const refused = await use(b.client, 'lease_slot', { slot: 'hut-01' });
  assert.match(
    refused.refused,
    new RegExp(
      `^slot hut-01 is busy: held by job ${lease.lease} for agent-a/1\\.0\\.0 \\(mcp stdio pid ${a.transport.pid}\\) \\(pid ${a.transport.pid} on `,
    ),
  );
  for (const [tool, args] of [
    ['run_on_slot', { slot: 'hut-01', argv: ['true'] }],
    ['serial_read', { slot: 'hut-01', seconds: 1 }],
    ['power_cycle', { slot: 'hut-01', reason: 'not mine' }],
    ['release_slot', { slot: 'hut-01' }],
  ] as const) {
    const r = await use(b.client, tool, args);
    assert.match(r.refused, /^you hold no lease on hut-01\n\(lease it first/, tool);
  }

  const run = await use(a.client, 'run_on_slot', { slot: 'hut-01', argv: ['true'] });
  assert.deepEqual([run.status, run.exit_code], ['success', 0]);
  const report = JSON.parse(readFileSync(run.report, 'utf8'));
  assert.deepEqual(
    [report.schema_version, report.job_id, report.slot, report.status],
    ['ws2.report.v1', run.job_id, 'hut-01', 'success'],
  );
  assert.equal((await use(a.client, 'job_status', { job_id: run.job_id })).status, 'success');
  const [ran] = await actions();
  assert.deepEqual(
    [ran!.action, ran!.slot, ran!.job_id, ran!.via, ran!.outcome],
    ['run', 'hut-01', run.job_id, 'mcp', 'done'],
  );
  assert.match(ran!.by, /^agent-a\/1\.0\.0 \(mcp stdio pid \d+\)$/);

  assert.deepEqual(await use(a.client, 'release_slot', { slot: 'hut-01' }), {
    slot: 'hut-01',
    released: true,
  });
  assert.equal(await locked('hut-01'), false);
  assert.equal((await use(b.client, 'lease_slot', { slot: 'hut-01' })).slot, 'hut-01');
  assert.deepEqual(await use(b.client, 'release_all'), { released: ['hut-01'] });
});

test('power_cycle on a leased slot reaches the simulated relay and is in the action log', async () => {
  const { client } = await httpAgent('power-agent');
  const entity = t.farm.ha.entities.get('switch.hut_02_power')!;
  const before = entity.last_changed;
  assert.equal((await use(client, 'lease_slot', { slot: 'hut-02' })).slot, 'hut-02');
  const cycled = await use(client, 'power_cycle', { slot: 'hut-02', reason: 'board wedged' });
  assert.equal(cycled.status, 'ok', JSON.stringify(cycled));
  assert.notEqual(entity.last_changed, before, 'the relay switched');
  assert.equal(entity.state, 'on');
  const [entry] = await actions();
  assert.deepEqual(
    [entry!.action, entry!.slot, entry!.reason, entry!.via, entry!.outcome],
    ['power-cycle', 'hut-02', 'board wedged', 'mcp', 'done'],
  );
  assert.match(entry!.by, /^power-agent\/1\.0\.0 \(mcp [0-9a-f]{8} from 127\.0\.0\.1\)$/);
  await use(client, 'release_slot', { slot: 'hut-02' });
});

test('an agent killed with SIGKILL frees its slot at once; one stopped with SIGTERM says so in the action log', async () => {
  const killed = await stdioAgent('doomed');
  assert.equal((await use(killed.client, 'lease_slot', { slot: 'hut-01' })).slot, 'hut-01');
  process.kill(killed.transport.pid!, 'SIGKILL');
  const started = Date.now();
  await waitFor(async () => !(await locked('hut-01')), 'hut-01 to be free');
  assert.ok(Date.now() - started < 2000, 'freed with the process, not after a TTL');

  const stopped = await stdioAgent('stopped');
  assert.equal((await use(stopped.client, 'lease_slot', { slot: 'hut-01' })).slot, 'hut-01');
  process.kill(stopped.transport.pid!, 'SIGTERM');
  await waitFor(async () => !(await locked('hut-01')), 'hut-01 to be free');
  await waitFor(async () => (await actions())[0]?.action === 'release', 'the release logged');
  const [released] = await actions();
  assert.deepEqual([released!.slot, released!.reason], ['hut-01', 'session ended (SIGTERM)']);
  assert.match(released!.by, /^stopped\/1\.0\.0 /);
});

test('an HTTP session that vanishes without closing frees its lease when its TTL passes unused', async () => {
  const gone = await httpAgent('vanishing');
  const lease = await use(gone.client, 'lease_slot', { slot: 'hut-02', ttl_sec: 2 });
  assert.equal(lease.ttl_sec, 2);
  // Use renews the lease: a second later it is still held.
  await sleep(1000);
  await use(gone.client, 'serial_read', { slot: 'hut-02', seconds: 1 });
  await gone.transport.close(); // no DELETE: the server is never told
  const other = await httpAgent('patient');
  assert.match((await use(other.client, 'lease_slot', { slot: 'hut-02' })).refused, /busy/);
  assert.equal(await locked('hut-02'), true);
  await waitFor(async () => !(await locked('hut-02')), 'the lease to expire');
  const [expired] = await actions();
  assert.deepEqual(
    [expired!.action, expired!.slot, expired!.reason],
    ['release', 'hut-02', 'expired unused'],
  );
  assert.equal((await use(other.client, 'lease_slot', { slot: 'hut-02' })).slot, 'hut-02');
  await use(other.client, 'release_all');
});

test('/mcp without the token (or with a wrong one) is 401, even on loopback', async () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'x', version: '1' },
    },
  };
  const headers = { accept: 'application/json, text/event-stream' };
  for (const token of [null, 'wrong']) {
    const r = await call(s, '/mcp', { body: initialize, token, headers });
    assert.equal(r.status, 401, `token ${token}`);
    assert.match(r.body.error, /MCP needs the token/);
  }
  await assert.rejects(
    httpAgent('anonymous', null),
    (error: Error & { code?: number }) =>
      error.code === 401 && /MCP needs the token/.test(error.message),
  );
  assert.ok(existsSync(s.tokenFile));
});

test('a person takes a leased board back, and a slot retired under a lease is not used', async () => {
  const { client: agent } = await httpAgent('keeper');
  const leased = await use(agent, 'lease_slot', { slot: 'hut-02' });
  assert.equal(leased.refused, undefined, JSON.stringify(leased));
  const back = await call(s, '/api/slots/hut-02/release', {
    body: { reason: 'needed for a bench test' },
    token: s.token,
  });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.match(back.body.released_from, /^keeper/);
  const after = await use(agent, 'run_on_slot', { slot: 'hut-02', argv: ['true'] });
  assert.match(after.refused, /no lease on hut-02/);

  assert.equal((await use(agent, 'lease_slot', { slot: 'hut-02' })).refused, undefined);
  const retired = await call(s, '/api/slots/hut-02/health', {
    body: { state: 'retired', reason: 'relay clicks' },
    token: s.token,
  });
  assert.equal(retired.status, 200);
  const refused = await use(agent, 'run_on_slot', { slot: 'hut-02', argv: ['true'] });
  assert.match(refused.refused, /hut-02 is retired/);
  await use(agent, 'release_slot', { slot: 'hut-02' });
  await call(s, '/api/slots/hut-02/health', {
    body: { state: 'good', reason: 'relay replaced' },
    token: s.token,
  });
});
