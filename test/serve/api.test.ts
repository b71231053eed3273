/**
 * `hutctl serve` against the simulated farm: the API reads the live farm and the ledger, the
 * change stream tells of a job as it runs, a job's log can be read from any byte offset, write
 * actions reach the simulated relay and land in the action log, and the token rules hold.
 */
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { Gate } from '../../src/serve/auth.ts';
import { finished, startCli, waitFor } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';
import { hostileString } from '../support/hostile.ts';
import { call, startServe, type TestServe } from '../support/serve.ts';

let t: TestFarm;
let s: TestServe;
before(async () => {
  t = await startTestFarm(2);
  s = await startServe(t);
});
after(async () => {
  await s.stop();
  await t.stop();
});

/** A GET with the path exactly as given (fetch would resolve `..` and `%2E%2E` first). */
async function rawGet(path: string): Promise<{ status: number; text: string }> {
  const { request } = await import('node:http');
  const url = new URL(s.url);
  return new Promise((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path }, (r) => {
      let text = '';
      r.setEncoding('utf8').on('data', (c: string) => {
        text += c;
      });
      r.on('end', () => resolve({ status: r.statusCode!, text }));
    })
      .on('error', reject)
      .end();
  });
}

const evidence = () => readdirSync(join(t.dir, 'evidence')).sort();

/** Reads the change stream until `want` has been seen (or fails after 15 s). */
async function changes(want: (kinds: string[]) => boolean, during: () => Promise<unknown>) {
  const seen: string[] = [];
  const abort = new AbortController();
  const response = await fetch(`${s.url}/api/events`, { signal: abort.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const work = during();
  let buffer = '';
  const until = Date.now() + 15_000;
  while (!want(seen) && Date.now() < until) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    for (const match of buffer.matchAll(/^data: (.*)$/gm)) seen.push(JSON.parse(match[1]!).kind);
    buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
  }
  abort.abort();
  await work;
  return seen;
}

test('the slots, a job as it runs (its log from any offset), the change stream and the ledger', async () => {
  const slots = await call(s, '/api/slots');
  assert.equal(slots.status, 200);
  assert.deepEqual(
    slots.body.map((x: { slot: string; state: string }) => [x.slot, x.state]),
    [
      ['hut-01', 'free'],
      ['hut-02', 'free'],
    ],
  );
  assert.equal(slots.body[0].health.state, 'good');

  const job = startCli(
    ['slot', 'run', 'hut-01', '--', 'sh', '-c', 'echo first; sleep 1.5; echo second'],
    { cwd: t.dir, env: { HUTCTL_CONFIG: t.farm.configPath } },
  );
  const ended = finished(job);
  job.stdin!.end();
  let holder: { job_id: string; log: string } | null = null;
  const seen = await changes(
    (kinds) => kinds.includes('jobs') && kinds.includes('slots') && kinds.includes('log'),
    async () => {
      await waitFor(async () => {
        holder = (await call(s, '/api/slots')).body[0].holder;
        return holder?.log != null;
      }, 'hut-01 to be held with a log');
    },
  );
  assert.ok(seen.includes('slots'), seen.join(' '));
  const h = holder as unknown as { job_id: string; log: string };
  assert.match(h.job_id, /^slot-hut-01-/);

  // The log from offset 0, then from where the first read ended: nothing twice, nothing lost.
  await waitFor(async () => /first/.test((await call(s, `/api/logs/${h.log}`)).body.text), 'first');
  const first = (await call(s, `/api/logs/${h.log}`)).body;
  assert.equal(first.live, true);
  assert.equal((await ended).code, 0);
  const rest = (await call(s, `/api/logs/${h.log}?offset=${first.next_offset}`)).body;
  assert.equal(rest.live, false);
  const whole = readFileSync(join(t.dir, 'evidence', `${h.log}.log`), 'utf8');
  assert.equal(first.text + rest.text, whole);
  assert.match(whole, /first\n[\s\S]*second/);
  // By job id too, and the job itself from the ledger.
  assert.equal((await call(s, `/api/jobs/${h.job_id}/log`)).body.text, whole);
  await waitFor(
    async () => (await call(s, `/api/jobs/${h.job_id}`)).body.state === 'ended',
    'the job in the ledger',
  );
  const detail = (await call(s, `/api/jobs/${h.job_id}`)).body;
  assert.equal(detail.status, 'success');
  assert.equal(detail.report.slot, 'hut-01');
  const list = (await call(s, '/api/jobs?slot=hut-01&status=success')).body;
  assert.ok(list.jobs.some((j: { job_id: string }) => j.job_id === h.job_id));
  const timeline = (await call(s, `/api/timeline/${h.log}`)).body;
  assert.equal(timeline.kind, 'job');
  assert.match(timeline.phases[0].phase, /^step 1: /);
  assert.equal((await call(s, '/api/slots')).body[0].state, 'free');
});

test('/metrics is Prometheus text: slot states and health, jobs by status', async () => {
  const response = await fetch(`${s.url}/metrics`);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();
  for (const line of text.trimEnd().split('\n')) {
    assert.match(
      line,
      /^(# (HELP|TYPE) hutctl_\w+ .+|hutctl_\w+(\{(\w+="[^"]*",?)+\})? \d+(\.\d+)?)$/,
      line,
    );
  }
  assert.match(text, /^hutctl_slot_state\{slot="hut-02",state="free"\} 1$/m);
  assert.match(text, /^hutctl_slot_health\{slot="hut-01",state="good"\} 1$/m);
  assert.match(text, /^hutctl_jobs_total\{status="success"\} [1-9]/m);
});

test('a power cycle needs the token, reaches the relay, and is in the action log with who and why', async () => {
  const entity = t.farm.ha.entities.get('switch.hut_02_power')!;
  const before = entity.last_changed;
  const files = evidence();
  const body = { action: 'cycle', reason: 'board stopped answering', by: 'alice' };
  const anonymous = await call(s, '/api/slots/hut-02/power', { body });
  assert.equal(anonymous.status, 401);
  const cookie = await call(s, '/api/session', { body: { token: s.token } });
  assert.equal(cookie.status, 200);
  assert.equal(entity.last_changed, before);
  assert.deepEqual(evidence(), files, 'a refused action writes nothing');

  const done = await call(s, '/api/slots/hut-02/power', { body, token: s.token });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal(done.body.result.status, 'ok');
  assert.notEqual(entity.last_changed, before, 'the relay switched');
  assert.equal(entity.state, 'on');
  const log = (await call(s, '/api/actions')).body;
  assert.equal(log[0].action, 'power-cycle');
  assert.equal(log[0].slot, 'hut-02');
  assert.equal(log[0].reason, 'board stopped answering');
  assert.match(log[0].by, /^alice via /);
  assert.equal(log[0].outcome, 'done');
  // The action log is evidence: a ledger rebuilt from the files has it.
  const rebuilt = join(t.dir, 'rebuilt.yaml');
  writeFileSync(
    rebuilt,
    `${readFileSync(t.farm.configPath, 'utf8')}\nstore:\n  path: ${join(t.dir, 'rebuilt.sqlite')}\n`,
  );
  const imported = await t.hutctl(['store', 'import', join(t.dir, 'evidence'), '--json'], {
    env: { HUTCTL_CONFIG: rebuilt },
  });
  assert.equal(JSON.parse(imported.stdout).recorded.action, 1, imported.stderr);
  assert.ok(!s.stderr().includes(s.token!), 'the token is never printed');
  for (const name of evidence())
    assert.ok(!readFileSync(join(t.dir, 'evidence', name), 'utf8').includes(s.token!), name);
});

test('maintenance from the API takes a slot out of routing until it is ended', async () => {
  const on = await call(s, '/api/slots/hut-02/maintenance', {
    body: { on: true, reason: 'reseating the USB cable' },
    token: s.token,
  });
  assert.equal(on.status, 200, JSON.stringify(on.body));
  const refused = await t.hutctl(['slot', 'run', 'hut-02', '--', 'true']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /hut-02 is maintenance since .*: reseating the USB cable/);
  const off = await call(s, '/api/slots/hut-02/maintenance', {
    body: { on: false, reason: 'cable reseated' },
    token: s.token,
  });
  assert.equal(off.status, 200);
  assert.equal((await call(s, '/api/slots')).body[1].health.state, 'good');
  assert.equal((await t.hutctl(['slot', 'run', 'hut-02', '--', 'true'])).code, 0);
});

test('cancelling a running job from the API ends it', async () => {
  const job = startCli(['slot', 'run', 'hut-01', '--', 'sleep', '30'], {
    cwd: t.dir,
    env: { HUTCTL_CONFIG: t.farm.configPath },
  });
  const ended = finished(job);
  job.stdin!.end();
  let id = '';
  await waitFor(async () => {
    id = (await call(s, '/api/slots')).body[0].holder?.job_id ?? '';
    return id !== '';
  }, 'the job to hold hut-01');
  const cancel = await call(s, `/api/jobs/${id}/cancel`, {
    body: { now: true, reason: 'wrong firmware' },
    token: s.token,
  });
  assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
  assert.equal((await ended).code, 130);
  const again = await call(s, `/api/jobs/${id}/cancel`, { body: { reason: 'x' }, token: s.token });
  assert.equal(again.status, 409);
});

test('bad requests get one clear error and change nothing; names never reach outside the evidence', async () => {
  symlinkSync('/etc/passwd', join(t.dir, 'evidence', 'runner_x_20260101_000000_utc.log'));
  const files = evidence();
  const bad: Array<[string, unknown]> = [
    ['/api/slots/hut-01/power', { action: 'explode', reason: 'x' }],
    ['/api/slots/hut-01/power', { action: 'cycle' }],
    ['/api/slots/hut-01/power', { action: 'cycle', reason: 'a\nb' }],
    ['/api/slots/hut-09/power', { action: 'cycle', reason: 'x' }],
    ['/api/slots/hut-01/health', { state: 'bad', reason: 'x' }],
    ['/api/slots/hut-01/teleport', { reason: 'x' }],
  ];
  for (const [path, body] of bad) {
    const r = await call(s, path, { body, token: s.token });
    assert.ok([400, 404].includes(r.status), `${path}: ${r.status}`);
    assert.equal(typeof r.body.error, 'string');
    assert.ok(!r.body.error.includes('\n    at '), 'no stack trace');
  }
  const notJson = await fetch(`${s.url}/api/slots/hut-01/power`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}` },
    body: '{"action":',
  });
  assert.equal(notJson.status, 400);
  const huge = await fetch(`${s.url}/api/slots/hut-01/power`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}` },
    body: JSON.stringify({ reason: 'x'.repeat(100_000) }),
  });
  assert.equal(huge.status, 400);
  await fc.assert(
    fc.asyncProperty(hostileString(), async (name) => {
      // Every byte escaped (dots too), so the client does not resolve `..` before sending.
      let escaped: string;
      try {
        escaped = encodeURIComponent(name).replaceAll('.', '%2E');
      } catch {
        return; // a lone surrogate: no URL can carry it
      }
      for (const path of [
        `/api/logs/${escaped}`,
        `/files/${escaped}`,
        `/api/timeline/${escaped}`,
      ]) {
        const r = await rawGet(path);
        const text = r.text;
        // A name of dots is a dot segment: the URL resolves to the page itself, never past it.
        const page = r.status === 200 && text.includes('<title>hutctl');
        assert.ok(r.status === 404 || r.status === 400 || page, `${path}: ${r.status}`);
        assert.ok(!text.includes('root:x:0:0'), path);
      }
    }),
    { numRuns: 60 },
  );
  assert.equal((await rawGet('/api/logs/%E0%A4%A')).status, 400, 'malformed escapes');
  for (const path of [
    '/api/logs/runner_x_20260101_000000_utc',
    '/files/runner_x_20260101_000000_utc.log',
    '/files/..%2F..%2Fetc%2Fpasswd',
  ])
    assert.equal((await rawGet(path)).status, 404, path);
  assert.deepEqual(evidence(), files);
});

test('a request naming another host is refused (DNS rebinding)', async () => {
  const { request } = await import('node:http');
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL(s.url);
    request(
      {
        host: url.hostname,
        port: url.port,
        path: '/api/slots',
        headers: { host: 'attacker.example:80' },
      },
      (r) => {
        r.resume();
        resolve(r.statusCode!);
      },
    )
      .on('error', reject)
      .end();
  });
  assert.equal(status, 421);
});

test('off loopback everything but the page needs the token; without a token file serve will not start there', async () => {
  const gate = new Gate('t'.repeat(32), '0.0.0.0', 7411);
  assert.equal(gate.loopback, false);
  const req = (headers: Record<string, string>) => ({ headers }) as never;
  assert.deepEqual(gate.access(req({})), { token: false, header: false });
  assert.deepEqual(gate.access(req({ authorization: `Bearer ${'t'.repeat(32)}` })), {
    token: true,
    header: true,
  });
  assert.deepEqual(gate.access(req({ cookie: `hutctl_token=${'t'.repeat(32)}` })), {
    token: true,
    header: false,
  });
  assert.deepEqual(gate.access(req({ authorization: 'Bearer wrong' })), {
    token: false,
    header: false,
  });

  const typo = await t.hutctl([
    'serve',
    '--port',
    '0',
    '--token-file',
    join(t.dir, 'no-such.token'),
  ]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^hutctl: --token-file .*no-such\.token: no such file/);
  // A farm whose state directory holds no token yet.
  const fresh = join(t.dir, 'fresh.yaml');
  writeFileSync(
    fresh,
    readFileSync(t.farm.configPath, 'utf8').replace(
      /state_dir: .*/,
      `state_dir: ${join(t.dir, 'fresh-state')}`,
    ),
  );
  const refused = await t.hutctl(['serve', '--host', '0.0.0.0', '--port', '0'], {
    env: { HUTCTL_CONFIG: fresh },
  });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^hutctl: refusing to serve on 0\.0\.0\.0 without a token/);
  assert.equal(refused.stderr.trim().split('\n').length, 2, refused.stderr);

  const loose = join(t.dir, 'loose.token');
  writeFileSync(loose, `${'a'.repeat(40)}\n`);
  chmodSync(loose, 0o644);
  const open = await t.hutctl(['serve', '--port', '0', '--token-file', loose]);
  assert.equal(open.code, 1);
  assert.match(
    open.stderr,
    /the token file .*loose\.token is mode 644: it must be this user's and 0600/,
  );
});

test('a change whose action log cannot be written (a full disk) is not made; cooldown and busy are 409 and logged', async () => {
  // Refused: the slot was cycled a moment ago (the first power test), and force was not given.
  await call(s, '/api/slots/hut-02/power', {
    body: { action: 'cycle', reason: 'first', by: 'bob' },
    token: s.token,
  });
  const again = await call(s, '/api/slots/hut-02/power', {
    body: { action: 'cycle', reason: 'again at once' },
    token: s.token,
  });
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.match(again.body.hint, /"force": true/);
  assert.equal(again.body.action.outcome, 'refused');
  const typo = await call(s, '/api/slots/hut-02/power', {
    body: { action: 'cycle', reason: 'x', focre: true },
    token: s.token,
  });
  assert.equal(typo.status, 400);
  assert.match(typo.body.error, /unknown field focre/);

  const { execFileSync } = await import('node:child_process');
  const { mkdirSync } = await import('node:fs');
  const full = join(t.dir, 'full-evidence');
  mkdirSync(full);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k,mode=0700', 'tmpfs', full]);
  try {
    writeFileSync(join(full, 'filler'), Buffer.alloc(16 * 1024));
  } catch {}
  const config = join(t.dir, 'full.yaml');
  writeFileSync(
    config,
    readFileSync(t.farm.configPath, 'utf8').replace(/evidence_dir: .*/, `evidence_dir: ${full}`),
  );
  const other = await startServe(t, ['--new-token', '--token-file', join(t.dir, 'full.token')], {
    HUTCTL_CONFIG: config,
  });
  try {
    const entity = t.farm.ha.entities.get('switch.hut_01_power')!;
    const before = entity.last_changed;
    const maintenance = await call(other, '/api/slots/hut-01/maintenance', {
      body: { on: true, reason: 'disk test' },
      token: other.token,
    });
    assert.equal(maintenance.status, 500);
    assert.match(maintenance.body.error, /action log cannot be written .*: nothing was done/);
    const power = await call(other, '/api/slots/hut-01/power', {
      body: { action: 'cycle', reason: 'disk test', force: true },
      token: other.token,
    });
    assert.equal(power.status, 500);
    assert.equal(entity.last_changed, before, 'the relay was not touched');
    assert.equal((await call(s, '/api/slots')).body[0].health.state, 'good');
  } finally {
    await other.stop();
    execFileSync('umount', ['-l', full]);
  }
});
