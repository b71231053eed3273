/**
 * Home Assistant that misbehaves: every answer a server can give — wrong status, wrong type,
 * garbage, floods, trickles, resets — ends as a structured power result or one clean line, in
 * bounded time and bounded memory.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { HomeAssistantBackend } from '../../src/power/backends/homeassistant.ts';
import { PowerError } from '../../src/power/index.ts';
import { runCli, tempDir } from '../support/cli.ts';
import { RUNS } from '../support/hostile.ts';
import {
  flood,
  type HostileServer,
  type Misbehaviour,
  misbehaviour,
  normal,
  startHostileServer,
} from '../support/hostile-http.ts';

let ha: HostileServer;
before(async () => {
  ha = await startHostileServer();
});
after(async () => {
  await ha.close();
});

const TIMEOUT_SEC = 0.5;
const backend = () =>
  new HomeAssistantBackend(
    { url: ha.url, tokenEnv: 'HA_TOKEN', timeoutSec: TIMEOUT_SEC, confirmTimeoutSec: 0.5 },
    'switch.hut_01_power',
    { HA_TOKEN: 'token' },
  );
const answerAlways = (m: Misbehaviour) => {
  ha.answer = () => m;
};

type Outcome = { value: unknown; ms: number } | { error: PowerError; ms: number };

/** The PowerError a call must end in. */
async function failed(call: () => Promise<unknown>): Promise<{ error: PowerError; ms: number }> {
  const result = await outcome(call);
  if (!('error' in result))
    assert.fail(`expected a PowerError, got ${JSON.stringify(result.value)}`);
  return result;
}

/** What a call came to: a value, or a clean PowerError; anything else fails the test. */
async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  const began = performance.now();
  try {
    const value = await call();
    return { value, ms: performance.now() - began };
  } catch (error) {
    assert.ok(error instanceof PowerError, `not a PowerError: ${(error as Error)?.stack}`);
    assert.doesNotMatch(error.message, /[\r\n\u2028\u2029]/, 'one line');
    assert.ok(error.message.length < 400, `short: ${error.message}`);
    if (error.status === 401 || error.status === 403) assert.equal(error.fatal, true);
    return { error, ms: performance.now() - began };
  }
}

describe('the Home Assistant backend against a misbehaving server', () => {
  test('property: any answer to a state read or a service call is a value or one PowerError line, in bounded time', async () => {
    const signal = new AbortController().signal;
    await fc.assert(
      fc.asyncProperty(misbehaviour(), fc.boolean(), async (m, read) => {
        answerAlways(m);
        const result = await outcome(() =>
          read ? backend().get(signal) : backend().set('on', signal),
        );
        assert.ok(result.ms < TIMEOUT_SEC * 1000 + 1000, `took ${result.ms} ms`);
        if ('value' in result && read) assert.equal(typeof result.value, 'string');
        if (!('error' in result)) assert.ok(m.status >= 200 && m.status < 300);
      }),
      RUNS(300),
    );
  });

  test('what came back is said: HTML, a flood, a lying length, malformed JSON, a reset, a proxy page', async () => {
    const signal = new AbortController().signal;
    const path = 'Home Assistant GET /api/states/switch.hut_01_power';
    const cases: Array<[Misbehaviour, RegExp | string]> = [
      [
        { ...normal(200, {}), contentType: 'text/html', body: Buffer.from('<html>') },
        `${path}: 200 with a text/html body (expected JSON)`,
      ],
      [
        { ...normal(200, {}), contentType: null, body: Buffer.from('{"state":"on"}') },
        `${path}: 200 with a body without a content type (expected JSON)`,
      ],
      [flood(300), `${path}: 200 with a body larger than 1.0 MiB`],
      [flood(300, 'length'), `${path}: 200 with a body larger than 1.0 MiB`],
      [
        { ...normal(200, {}), body: Buffer.from('{"state": on}') },
        new RegExp(`^${path}: 200 with malformed JSON \\(.+\\)$`),
      ],
      [
        { ...normal(200, {}), body: Buffer.from('') },
        `${path}: 200 with an empty body (expected JSON)`,
      ],
      [
        { ...normal(200, { state: 'on'.repeat(200) }) },
        `${path}: 200 with JSON that is not a state object ($.state is not a short printable string)`,
      ],
      [
        normal(200, [{ state: 'on' }]),
        `${path}: 200 with JSON that is not a state object ($.state missing)`,
      ],
      [
        { ...normal(200, { state: 'on', pad: 'x'.repeat(100) }), resetAfter: 20 },
        `${path}: 200: the connection closed mid-body`,
      ],
      [
        {
          ...normal(502, {}),
          contentType: 'text/html',
          body: Buffer.from('<h1>502 Bad Gateway</h1>'),
        },
        `${path}: 502 with a text/html body`,
      ],
      [
        { ...normal(503, {}), contentType: null, body: Buffer.alloc(0) },
        `${path}: 503 (empty body)`,
      ],
      [
        { ...normal(500, {}), body: Buffer.from('{"message":"bad\\nline\\u2028\\u001b[31m"}') },
        `${path}: 500 bad line [31m`,
      ],
      [
        { ...normal(200, {}), framing: 'raw', body: Buffer.from('SSH-2.0-OpenSSH_9.2\r\n') },
        /^Home Assistant GET \/api\/states\/switch\.hut_01_power: the answer is not HTTP \(HPE_\w+\)$/,
      ],
      [
        { ...normal(200, { state: 'on' }), pieceDelayMs: 2000 },
        `Home Assistant did not answer GET /api/states/switch.hut_01_power within ${TIMEOUT_SEC} s`,
      ],
    ];
    for (const [answer, expected] of cases) {
      answerAlways(answer);
      const result = await failed(() => backend().get(signal));
      if (typeof expected === 'string') assert.equal(result.error.message, expected);
      else assert.match(result.error.message, expected);
      assert.ok(result.ms < 1500, `${result.error.message}: ${result.ms} ms`);
    }
  });

  test('the documented answers keep their meaning: 401 text is fatal, 500 text or JSON is not, 200 [] is accepted', async () => {
    const signal = new AbortController().signal;
    answerAlways({
      ...normal(401, {}),
      contentType: 'text/plain; charset=utf-8',
      body: Buffer.from('401: Unauthorized'),
    });
    const denied = await failed(() => backend().set('off', signal));
    assert.equal(denied.error.fatal, true);
    assert.match(denied.error.message, /: 401 401: Unauthorized$/);
    answerAlways({
      ...normal(500, {}),
      contentType: 'text/plain; charset=utf-8',
      body: Buffer.from('500 Internal Server Error\n\nServer got itself in trouble'),
    });
    const crashed = await failed(() => backend().set('off', signal));
    assert.equal(crashed.error.fatal, false);
    assert.match(
      crashed.error.message,
      /: 500 500 Internal Server Error Server got itself in trouble$/,
    );
    answerAlways(normal(200, []));
    assert.deepEqual(await backend().set('off', signal), undefined);
    // The service call and the state read go to the documented paths, with the token.
    ha.seen.length = 0;
    answerAlways(normal(200, { state: 'off' }));
    assert.equal(await backend().get(signal), 'off');
    assert.deepEqual(ha.seen.at(-1), {
      method: 'GET',
      path: '/api/states/switch.hut_01_power',
      authorization: 'Bearer token',
    });
  });
});

describe('power commands against a misbehaving Home Assistant', () => {
  const dir = tempDir('hutctl-hostile-ha-');
  const config = join(dir, 'hutctl.yaml');
  before(() => {
    writeFileSync(
      config,
      [
        'paths:',
        `  lock_dir: ${join(dir, 'locks')}`,
        `  slot_lock_dir: ${join(dir, 'locks')}`,
        `  state_dir: ${join(dir, 'state')}`,
        `  evidence_dir: ${join(dir, 'evidence')}`,
        'home_assistant:',
        `  url: ${ha.url}`,
        '  token_env: HA_TOKEN',
        `  timeout_sec: ${TIMEOUT_SEC}`,
        '  confirm_timeout_sec: 0.3',
        'slots:',
        '  hut-01:',
        `    serial: ${join(dir, 'no-such-link')}`,
        '    power: {backend: homeassistant, entity: switch.hut_01_power, off_sec: 0.05, on_sec: 0.05, cooldown_sec: 0.05, max_retries: 1}',
        '',
      ].join('\n'),
    );
  });
  const hutctl = (args: string[], extra: string[] = []) =>
    runCli([...args, ...extra], { cwd: dir, env: { HUTCTL_CONFIG: config, HA_TOKEN: 'token' } });

  test('property: power on|off|cycle|status print a structured result with the documented exit, never "unexpected error"', async () => {
    await fc.assert(
      fc.asyncProperty(
        misbehaviour(),
        fc.constantFrom('on', 'off', 'cycle', 'status'),
        async (m, action) => {
          answerAlways(m);
          const began = Date.now();
          const args = [
            'power',
            action,
            'hut-01',
            '--json',
            ...(action === 'cycle' ? ['--force'] : []),
          ];
          const r = await hutctl(args);
          const context = `${JSON.stringify(m).slice(0, 300)}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`;
          assert.doesNotMatch(r.stderr, /unexpected error/, context);
          assert.equal(r.stderr, '', context);
          const json = JSON.parse(r.stdout);
          if (action === 'status') {
            assert.ok([0, 1].includes(r.code ?? -1), context);
            assert.equal(json.error === null, r.code === 0, context);
          } else {
            const exits = { ok: 0, ha_error: 1, timeout: 124 } as Record<string, number>;
            assert.equal(r.code, exits[json.status], context);
            if (json.error) assert.doesNotMatch(json.error, /[\r\n\u2028\u2029]/, context);
          }
          assert.ok(Date.now() - began < 10_000, `took ${Date.now() - began} ms: ${context}`);
        },
      ),
      RUNS(24),
    );
  });

  test('a 300 MiB answer leaves the CLI process no bigger than a small one', async () => {
    const preload = join(dir, 'maxrss.cjs');
    writeFileSync(
      preload,
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.MAXRSS_FILE, String(process.resourceUsage().maxRSS)));\n",
    );
    const peak = async (answer: Misbehaviour) => {
      answerAlways(answer);
      const file = join(dir, `maxrss-${Math.random()}`);
      const r = await runCli(['power', 'status', 'hut-01', '--json'], {
        cwd: dir,
        env: {
          HUTCTL_CONFIG: config,
          HA_TOKEN: 'token',
          MAXRSS_FILE: file,
          NODE_OPTIONS: `--require=${preload}`,
        },
      });
      return { kib: Number(readFileSync(file, 'utf8')), json: JSON.parse(r.stdout) };
    };
    await peak(normal(200, { state: 'on' })); // warm the config cache
    const small = await peak(normal(200, { state: 'on' }));
    assert.equal(small.json.state, 'on');
    for (const answer of [flood(300), flood(300, 'length')]) {
      const big = await peak(answer);
      assert.match(big.json.error, /200 with a body larger than 1\.0 MiB/);
      const grew = (big.kib - small.kib) / 1024;
      if (process.env.HUTCTL_SHOW_RSS) console.log(`peak RSS ${small.kib} KiB -> ${big.kib} KiB`);
      assert.ok(
        grew < 8,
        `peak RSS grew ${grew.toFixed(1)} MiB (${small.kib} KiB -> ${big.kib} KiB)`,
      );
    }
  });
});
