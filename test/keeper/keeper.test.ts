/** The keeper: flock(2) locks and steps for this host, against real files, flock(1) and processes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Keeper, localKeeper } from '../../src/keeper/index.ts';
import { finished, processesMatching, tempDir, waitFor } from '../support/cli.ts';

async function keeper(): Promise<Keeper> {
  const found = await localKeeper();
  assert.ok(found, 'perl must be installed for the keeper');
  return found;
}

/** Whether flock(1) could take the lock right now. */
async function freeForFlock(path: string): Promise<boolean> {
  return (await finished(spawn('flock', ['-n', path, 'true']))).code === 0;
}

/** A flock(1) script holding `path` until killed. */
async function flockHolder(path: string) {
  const holder = spawn('flock', ['-x', '-F', path, 'sh', '-c', 'echo held; exec sleep 60'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve) => holder.stdout!.once('data', resolve));
  return holder;
}

test('a free lock is taken at once, flock(1) sees it, and release frees it', async () => {
  const k = await keeper();
  const path = join(tempDir(), 'hut-01.lock');
  const release = await k.lock(path, { wait: false });
  assert.ok(release);
  assert.equal(await freeForFlock(path), false);
  assert.equal(
    await k.lock(path, { wait: false }),
    null,
    'not even the same keeper takes it twice',
  );
  await release();
  assert.equal(await freeForFlock(path), true);
});

test('a busy lock: null without waiting; with waiting, onBusy and then the lock once it is let go', async () => {
  const k = await keeper();
  const path = join(tempDir(), 'hut-02.lock');
  const holder = await flockHolder(path);
  assert.equal(await k.lock(path, { wait: false }), null);
  let busy = 0;
  let got = false;
  const waiting = k.lock(path, { wait: true, onBusy: () => busy++ });
  void waiting.then(() => (got = true));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(busy, 1);
  assert.equal(got, false, 'a held lock must not be taken');
  holder.kill('SIGKILL');
  const release = await waiting;
  assert.ok(release);
  assert.equal(await freeForFlock(path), false);
  await release();
  assert.equal(await freeForFlock(path), true);
});

test('letting go of one lock while another is waited for frees it at once', async () => {
  // The wait is a fork of the keeper; it must not keep a copy of the keeper's other locks.
  const k = await keeper();
  const dir = tempDir();
  const held = join(dir, 'a.lock');
  const busy = join(dir, 'b.lock');
  const release = (await k.lock(held, { wait: false }))!;
  const holder = await flockHolder(busy);
  const controller = new AbortController();
  const waiting = k.lock(busy, { wait: true, signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await release();
  assert.equal(await freeForFlock(held), true, 'the waiting fork must not hold a.lock');
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  holder.kill('SIGKILL');
  await finished(holder);
  await waitFor(() => freeForFlock(busy), 'b.lock to be free: an aborted wait never takes it');
});

test('steps: exit status, signals as 128 + n, a session of their own, default signal handling', async () => {
  const k = await keeper();
  const dir = tempDir();
  const logPath = join(dir, 'step.log');
  const run = (command: string, workdir = '') =>
    k.start({ command, workdir, loginShell: false, logPath }).done;

  assert.deepEqual(await run('exit 3'), { exitCode: 3, signal: null });
  assert.deepEqual(await run('kill -s TERM $$'), { exitCode: 143, signal: 'SIGTERM' });
  assert.deepEqual(await run('pwd', dir), { exitCode: 0, signal: null });
  assert.deepEqual(await run('true', join(dir, 'missing')), { exitCode: 97, signal: null });
  // Session id (field 6 of /proc/<pid>/stat) is the step's own pid; nothing ignored or blocked.
  await run('read -r stat < /proc/$$/stat; set -- $stat; echo "session $6 pid $1"');
  // Read with builtins only: a shell waiting for a child blocks signals while it waits.
  await run(
    'while read -r k v; do case $k in SigBlk:|SigIgn:) echo "$k $v";; esac; done < /proc/$$/status',
  );
  const log = readFileSync(logPath, 'utf8');
  assert.ok(log.startsWith(`${dir}\n`), log);
  const session = /session (\d+) pid (\d+)/.exec(log);
  assert.ok(session && session[1] === session[2], log);
  assert.match(log, /SigBlk: 0+\n/);
  assert.match(log, /SigIgn: 0+\n/);

  // A target with login_shell gets a login bash (it was plain sh: the word was read as hex).
  const login = join(dir, 'login.log');
  const shell = (loginShell: boolean) =>
    k.start({
      command: 'shopt -q login_shell 2>/dev/null && echo login || echo plain',
      workdir: '',
      loginShell,
      logPath: login,
    }).done;
  await shell(true);
  await shell(false);
  assert.equal(readFileSync(login, 'utf8'), 'login\nplain\n');

  // Steps that end at once are all reported, however soon they end.
  const quick = await Promise.all(Array.from({ length: 40 }, (_, i) => run(`exit ${i % 5}`)));
  assert.deepEqual(
    quick.map((r) => r.exitCode),
    Array.from({ length: 40 }, (_, i) => i % 5),
  );
});

test("a step holds none of the keeper's locks: letting go while it runs frees the lock", async () => {
  const k = await keeper();
  const path = join(tempDir(), 'hut-04.lock');
  const release = (await k.lock(path, { wait: false }))!;
  const step = k.start({
    command: 'sleep 1',
    workdir: '',
    loginShell: false,
    logPath: join(tempDir(), 'step.log'),
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await release();
  assert.equal(await freeForFlock(path), true, 'the running step must not keep the lock');
  assert.deepEqual(await step.done, { exitCode: 0, signal: null });
});

test('a signal reaches the whole process group of a step', async () => {
  const k = await keeper();
  const marker = `sleep 52${Math.floor(Math.random() * 1e5)}`;
  const step = k.start({
    command: `${marker} & ${marker} & wait`,
    workdir: '',
    loginShell: false,
    logPath: join(tempDir(), 'step.log'),
  });
  // Counted by command line: both sleeps (the step's shell does not show its command).
  await waitFor(async () => (await processesMatching(marker)) === 2, 'both sleeps to start');
  step.signal('SIGTERM');
  assert.deepEqual(await step.done, { exitCode: 143, signal: 'SIGTERM' });
  await waitFor(async () => (await processesMatching(marker)) === 0, 'the group to be gone');
});

test('when hutctl dies, the keeper ends its steps and then lets go of its locks', async () => {
  const dir = tempDir();
  const lock = join(dir, 'hut-03.lock');
  const marker = `sleep 53${Math.floor(Math.random() * 1e5)}`;
  const script = `
    import { localKeeper } from ${JSON.stringify(new URL('../../src/keeper/index.ts', import.meta.url).href)};
    const k = await localKeeper();
    await k.lock(${JSON.stringify(lock)}, { wait: false });
    k.start({ command: process.env.STEP, workdir: '', loginShell: false, logPath: ${JSON.stringify(join(dir, 'log'))} });
    console.log('ready');
    setInterval(() => {}, 1000);`;
  // The step comes in the environment, so only the step's processes carry the marker.
  const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, STEP: `${marker} & ${marker}` },
  });
  try {
    await new Promise((resolve) => owner.stdout!.once('data', resolve));
    await waitFor(async () => (await processesMatching(marker)) === 2, 'the step to start');
    assert.equal(await freeForFlock(lock), false);
  } finally {
    owner.kill('SIGKILL');
  }
  await finished(owner);
  await waitFor(() => freeForFlock(lock), 'the lock to be let go');
  assert.equal(await processesMatching(marker), 0, 'no step may outlive the lock');
});

test('an owner killed the instant it asks for a step leaves no step behind (the step is ended before its setsid)', async () => {
  const marker = `sleep 55${Math.floor(Math.random() * 1e5)}`;
  const script = `
    import { localKeeper } from ${JSON.stringify(new URL('../../src/keeper/index.ts', import.meta.url).href)};
    const k = await localKeeper();
    k.start({ command: process.env.STEP, workdir: '', loginShell: false, logPath: '/dev/null' });
    console.log(k.pid);
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(process.env.DELAY));`;
  const keepers: number[] = [];
  // Twelve owners, each SIGKILLed 0 to 3 ms after the request: some die before the keeper has
  // forked, some between its fork and the step's setsid, some after.
  for (let i = 0; i < 12; i += 1) {
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, STEP: `exec ${marker}`, DELAY: String(i % 4) },
    });
    let said = '';
    owner.stdout!.on('data', (chunk) => {
      said += chunk;
    });
    await finished(owner);
    keepers.push(Number(said.trim()));
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await waitFor(() => !keepers.some(alive), 'every keeper to exit');
  // A step that escaped would be orphaned on its way to exec: give it the moment it needs.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(await processesMatching(marker), 0, 'no step may outlive its owner');
});

test('a keeper that is killed leaves no step behind; the next request starts a new keeper', async () => {
  const k = await keeper();
  const marker = `sleep 54${Math.floor(Math.random() * 1e5)}`;
  const step = k.start({
    command: `${marker} & ${marker}`,
    workdir: '',
    loginShell: false,
    logPath: join(tempDir(), 'step.log'),
  });
  await waitFor(async () => (await processesMatching(marker)) === 2, 'the step to start');
  process.kill(k.pid, 'SIGKILL');
  const done = await step.done;
  assert.equal(done.exitCode, 127);
  assert.match(
    done.lost ?? '',
    /keeper \(pid \d+\) exited \(SIGKILL\); its process group was killed/,
  );
  await waitFor(async () => (await processesMatching(marker)) === 0, 'the step to be ended');
  const next = await keeper();
  assert.notEqual(next.pid, k.pid);
  const release = await next.lock(join(tempDir(), 'after.lock'), { wait: false });
  assert.ok(release);
  await release();
});

test("a step's command never shows in any process's command line (a secret in it stays out of ps)", async () => {
  const k = await keeper();
  const secret = `s3cr3t-${Math.floor(Math.random() * 1e9)}`;
  const log = join(tempDir(), 'step.log');
  const step = k.start({
    command: `echo ${secret} >/dev/null; sleep 0.5; echo "done $HUTCTL_STEP"`,
    workdir: '',
    loginShell: false,
    logPath: log,
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(await processesMatching(secret), 0);
  assert.deepEqual(await step.done, { exitCode: 0, signal: null });
  assert.equal(readFileSync(log, 'utf8'), 'done \n', 'the variable does not reach the step either');
});

test('with secrets, the keeper redacts step output on its way to the log, even a secret split across writes', async () => {
  const k = await keeper();
  const log = join(tempDir(), 'step.log');
  const secret = 'tok-0123456789abcdef';
  const step = k.start({
    command: `printf 'a ${secret.slice(0, 7)}'; sleep 0.2; printf '${secret.slice(7)} b\\n'; echo "$((1+1)) ${secret}"; head -c 200000 /dev/zero | tr '\\0' x; echo`,
    workdir: '',
    loginShell: false,
    logPath: log,
    redact: [secret],
  });
  assert.deepEqual(await step.done, { exitCode: 0, signal: null });
  const text = readFileSync(log, 'utf8');
  assert.ok(!text.includes(secret));
  assert.ok(text.startsWith('a [REDACTED] b\n2 [REDACTED]\n'), text.slice(0, 80));
  assert.equal(
    text.length,
    'a [REDACTED] b\n2 [REDACTED]\n'.length + 200001,
    'all output is in the log when the step is done',
  );
});

test('many redacted steps at once: every one ends with all its output in its log, and the keeper lives on', async () => {
  const k = await keeper();
  const dir = tempDir();
  const secret = 'tok-stress-0123456789';
  const steps = Array.from({ length: 40 }, (_, i) =>
    k.start({
      command: `i=0; while [ $i -lt 50 ]; do echo "${i} $i ${secret}"; i=$((i+1)); done; exit ${i % 3}`,
      workdir: '',
      loginShell: false,
      logPath: join(dir, `step-${i}.log`),
      redact: [secret],
    }),
  );
  const done = await Promise.all(steps.map((s) => s.done));
  done.forEach((d, i) => {
    assert.deepEqual(d, { exitCode: i % 3, signal: null });
    const lines = readFileSync(join(dir, `step-${i}.log`), 'utf8')
      .split('\n')
      .filter(Boolean);
    assert.equal(lines.length, 50);
    assert.ok(lines.every((l) => l.endsWith('[REDACTED]')));
  });
  assert.equal((await keeper()).pid, k.pid, 'the same keeper is still running');
});

test('HUTCTL_KEEPER=off: no keeper, so callers use flock(1) and the step wrapper', async () => {
  assert.equal(await localKeeper({ HUTCTL_KEEPER: 'off' }), null);
});
