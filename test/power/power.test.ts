/** Power control against the simulated Home Assistant (real HTTP, separate process) and a relay command. */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { entityOf } from '../../src/sim/index.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';
import { freePort } from '../support/sshd.ts';

let t: TestFarm;
before(async () => {
  t = await startTestFarm(3);
});
after(async () => {
  await t.stop();
});

const cycle = async (slot: string, ...flags: string[]) => {
  const result = await t.hutctl(['power', 'cycle', slot, '--json', ...flags]);
  return { ...result, json: result.stdout ? JSON.parse(result.stdout) : null };
};
const entity = (slot: string) => t.farm.ha.entities.get(entityOf(slot))!;

describe('power over Home Assistant', () => {
  test('a cycle turns off, confirms, waits, turns on, confirms, settles: ok, the board reboots', async () => {
    const board = t.farm.boards.get('hut-01')!;
    const bootsBefore = board.boots;
    const { code, json } = await cycle('hut-01', '--force');
    assert.equal(code, 0);
    assert.equal(json.status, 'ok');
    assert.equal(json.attempts, 1);
    assert.equal(json.last_state, 'on');
    assert.deepEqual(
      json.phases.map((p: { phase: string }) => p.phase),
      ['off', 'confirm_off', 'off_wait', 'on', 'confirm_on', 'settle'],
    );
    const wait = json.phases.find((p: { phase: string }) => p.phase === 'off_wait').duration_ms;
    assert.ok(wait >= 1000, `off_wait ${wait} ms must honour off_sec 1`);
    assert.equal(board.boots, bootsBefore + 1);
    assert.equal(entity('hut-01').state, 'on');
  });

  test('a second cycle inside the cooldown is refused unless --force', async () => {
    await cycle('hut-02', '--force');
    const refused = await t.hutctl(['power', 'cycle', 'hut-02']);
    assert.equal(refused.code, 75);
    assert.match(refused.stderr, /was power-cycled .* ago; its cooldown is 2 s/);
    assert.equal((await cycle('hut-02', '--force')).json.status, 'ok');
  });

  test('on, off and status confirm the relay', async () => {
    const off = await t.hutctl(['power', 'off', 'hut-03', '--json']);
    assert.equal(JSON.parse(off.stdout).state, 'off');
    assert.equal(t.farm.boards.get('hut-03')!.powered, false);
    const status = await t.hutctl(['power', 'status', 'hut-03']);
    assert.equal(status.stdout.trim(), 'hut-03: off');
    const on = await t.hutctl(['power', 'on', 'hut-03', '--json']);
    assert.equal(JSON.parse(on.stdout).status, 'ok');
  });

  test('HTTP 500 (text or JSON) is ha_error with the message, retried max_retries times', async () => {
    for (const [failure, message] of [
      ['error_text', /500 500 Internal Server Error Server got itself in trouble/],
      ['error_json', /500 device offline/],
    ] as const) {
      entity('hut-03').failure = failure;
      const { code, json } = await cycle('hut-03', '--force');
      entity('hut-03').failure = 'none';
      assert.equal(code, 1);
      assert.equal(json.status, 'ha_error');
      assert.equal(json.attempts, 2, 'max_retries 1: two attempts');
      assert.match(json.error, message);
      assert.equal(json.last_state, 'on', 'the relay state is still reported');
    }
  });

  test('a relay that never switches is a timeout, with the last state seen', async () => {
    entity('hut-03').failure = 'stuck';
    const { code, json } = await cycle('hut-03', '--force');
    entity('hut-03').failure = 'none';
    assert.equal(code, 124);
    assert.equal(json.status, 'timeout');
    assert.match(json.error, /still reads 'on' after asking for 'off'/);
    assert.equal(json.last_state, 'on');
  });

  test('an unavailable relay is reported, not waited on forever', async () => {
    const e = entity('hut-03');
    e.failure = 'unavailable';
    e.state = 'unavailable';
    const { json } = await cycle('hut-03', '--force');
    e.failure = 'none';
    e.state = 'on';
    assert.equal(json.status, 'timeout');
    assert.equal(json.last_state, 'unavailable');
  });

  test('concurrent cycles of one slot serialize; of two slots, run together', async () => {
    const started = Date.now();
    const [a, b, c] = await Promise.all([
      cycle('hut-01', '--force'),
      cycle('hut-01', '--force'),
      cycle('hut-02', '--force'),
    ]);
    const span = (r: { json: { started_utc: string; ended_utc: string } }) =>
      [Date.parse(r.json.started_utc), Date.parse(r.json.ended_utc)] as const;
    const [a0, a1] = span(a);
    const [b0, b1] = span(b);
    const [c0, c1] = span(c);
    assert.ok(a1 <= b0 || b1 <= a0, 'two cycles of hut-01 must not overlap');
    assert.ok(
      Math.min(a1, c1) > Math.max(a0, c0) || Math.min(b1, c1) > Math.max(b0, c0),
      'hut-02 runs alongside hut-01',
    );
    assert.ok(Date.now() - started < 3 * 2000 + 3000);
  });
});

describe('Home Assistant failures that are not the relay', () => {
  const configWith = (url: string, token: string) => {
    const text = readFileSync(t.farm.configPath, 'utf8')
      .replace(/url: .*/, `url: ${url}`)
      .replace(/token_file: .*/, `token_file: ${join(t.dir, 'other-token')}`)
      .replace(/timeout_sec: 5/, 'timeout_sec: 1');
    writeFileSync(join(t.dir, 'other-token'), `${token}\n`);
    chmodSync(join(t.dir, 'other-token'), 0o600);
    const path = join(t.dir, `other-${Math.random().toString(16).slice(2)}.yaml`);
    writeFileSync(path, text);
    return path;
  };

  test('a wrong token is a 401: ha_error at once, never retried', async () => {
    const before = t.farm.boards.get('hut-01')!.boots;
    const config = configWith(t.farm.ha.url, 'not-the-token');
    const result = await t.hutctl(['power', 'cycle', 'hut-01', '--force', '--json'], {
      env: { HUTCTL_CONFIG: config },
    });
    const json = JSON.parse(result.stdout);
    assert.equal(json.status, 'ha_error');
    assert.equal(json.attempts, 1);
    assert.match(json.error, /401 401: Unauthorized/);
    assert.equal(t.farm.boards.get('hut-01')!.boots, before, 'nothing was switched');
  });

  test('Home Assistant down is ha_error naming the address', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await t.hutctl(['power', 'cycle', 'hut-01', '--force', '--json'], {
      env: { HUTCTL_CONFIG: configWith(url, 'x') },
    });
    const json = JSON.parse(result.stdout);
    assert.equal(json.status, 'ha_error');
    assert.match(
      json.error,
      /cannot reach Home Assistant at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
  });

  test('Home Assistant slower than the timeout is a timeout', async () => {
    t.farm.ha.latencyMs = 1500;
    try {
      const token = readFileSync(join(t.dir, 'ha-token'), 'utf8').trim();
      const result = await t.hutctl(['power', 'cycle', 'hut-01', '--force', '--json'], {
        env: { HUTCTL_CONFIG: configWith(t.farm.ha.url, token) },
      });
      const json = JSON.parse(result.stdout);
      assert.equal(json.status, 'timeout');
      assert.match(json.error, /did not answer .* within 1 s/);
    } finally {
      t.farm.ha.latencyMs = 0;
    }
  });

  test('a token file others can read is refused', async () => {
    const config = configWith(t.farm.ha.url, 'x');
    chmodSync(join(t.dir, 'other-token'), 0o644);
    const result = await t.hutctl(['power', 'status', 'hut-01'], {
      env: { HUTCTL_CONFIG: config },
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /readable by others \(mode 644\)/);
  });
});

describe('power over a relay command', () => {
  test('on/off/cycle drive the command and read its status', async () => {
    const relay = join(t.dir, 'relay.sh');
    const stateFile = join(t.dir, 'relay.state');
    writeFileSync(
      relay,
      `#!/bin/sh\ncase "$1" in on|off) echo "$1" > ${stateFile};; status) echo "relay is $(cat ${stateFile} 2>/dev/null || echo off)";; esac\n`,
    );
    chmodSync(relay, 0o755);
    const config = readFileSync(t.farm.configPath, 'utf8').replace(
      /( {2}hut-03:\n(?: {4}.*\n)*? {4}power:\n)(?: {6}.*\n)+/,
      `$1      backend: command\n      on: [${relay}, on]\n      off: [${relay}, off]\n      status: [${relay}, status]\n      off_sec: 0.2\n      on_sec: 0.2\n`,
    );
    const path = join(t.dir, 'command.yaml');
    writeFileSync(path, config);
    const env = { HUTCTL_CONFIG: path };
    const cycled = await t.hutctl(['power', 'cycle', 'hut-03', '--force', '--json'], { env });
    assert.equal(JSON.parse(cycled.stdout).status, 'ok', cycled.stderr);
    assert.equal(readFileSync(stateFile, 'utf8').trim(), 'on');
    await t.hutctl(['power', 'off', 'hut-03'], { env });
    assert.equal(
      (await t.hutctl(['power', 'status', 'hut-03'], { env })).stdout.trim(),
      'hut-03: off',
    );
  });
});
