/**
 * `hil run` killed at any moment — while it takes the slot, verifies, flashes, power-cycles or
 * reads the boot log: the slot is free again, nothing is left on the board's port, and the next
 * job runs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import {
  CLI,
  finished,
  portHolders,
  processesMatching,
  startCli,
  waitFor,
} from '../support/cli.ts';
import { putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
const SHA = 'c0ffee1234567';
before(async () => {
  t = await startTestFarm(1);
  await putIdfBuild(t, SHA);
});
after(async () => {
  await t.stop();
});

test('SIGKILL at any moment of hil run frees the slot and leaves nothing on its port', async () => {
  const link = t.farm.boards.get('hut-01')!.linkPath;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 4000 }), async (delay) => {
      const child = startCli(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json'], {
        cwd: t.dir,
        env: { HUTCTL_CONFIG: t.farm.configPath },
      });
      const done = finished(child);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await done;
      // The flasher (in hutctl, with its stty and perl helpers) and the boot-log reader.
      const users = async () => portHolders(link).length + (await processesMatching(`cat ${link}`));
      await waitFor(async () => (await users()) === 0, 'the port to be let go', 5000);
      const next = await t.hutctl(['slot', 'run', 'hut-01', '--no-wait', '--', 'true']);
      assert.equal(next.code, 0, `after a kill at ${delay} ms: ${next.stderr}`);
    }),
    { numRuns: Number(process.env.HUTCTL_PROPERTY_RUNS ?? 8), seed: 23 },
  );
});

test('after those kills (mid-flash among them), the next hil run flashes and boots the build', async () => {
  const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).status, 'pass');
});

test('a board that loses power at any moment of hil run: the run ends, blocked or passed, with its result and JUnit', async () => {
  const board = t.farm.boards.get('hut-01')!;
  const { existsSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const junit = join(t.dir, 'cut.xml');
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 3000 }), async (delay) => {
      rmSync(junit, { force: true });
      // What happened before (a kill, a power loss) is the farm's: a person says it is good.
      const good = await t.hutctl(['slot', 'health', 'set', 'hut-01', 'good', '--reason', 'back']);
      assert.equal(good.code, 0, good.stderr);
      const child = startCli(
        ['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json', '--junit', junit],
        { cwd: t.dir, env: { HUTCTL_CONFIG: t.farm.configPath } },
      );
      const done = finished(child);
      await new Promise((r) => setTimeout(r, delay));
      await board.powerOff(); // the cable pulled: Home Assistant still says on
      const stuck = setTimeout(() => child.kill('SIGKILL'), 120_000);
      const r = await done;
      clearTimeout(stuck);
      assert.notEqual(r.signal, 'SIGKILL', `hil run hung after a power loss at ${delay} ms`);
      const result = JSON.parse(r.stdout);
      if (result.status === 'pass') assert.equal(r.code, 0);
      else {
        assert.equal(r.code, 3, `${delay} ms: ${r.stdout}${r.stderr}`);
        assert.equal(result.status, 'blocked');
        assert.match(result.phase, /^(flash|device|power)$/);
      }
      assert.ok(existsSync(junit), 'JUnit written');
      assert.match(readFileSync(junit, 'utf8'), /<testsuite /);
      await board.powerOn();
    }),
    { numRuns: Number(process.env.HUTCTL_PROPERTY_RUNS ?? 6), seed: 29 },
  );
});

test('SIGTERM or Ctrl-C in any phase of hil run: it stops in order, blocked there, with its result and JUnit, exit 130; the slot stays Good', async () => {
  const { existsSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const link = t.farm.boards.get('hut-01')!.linkPath;
  const junit = join(t.dir, 'stopped.xml');
  // The progress line that starts each phase, and the phase a stop then is in.
  const phases = [
    ['flashing', 'flash'],
    ['power cycle', 'power'],
    ['reading the boot log', 'boot'],
  ] as const;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...phases),
      fc.integer({ min: 0, max: 150 }),
      fc.constantFrom('SIGTERM', 'SIGINT'),
      async ([line, phase], delay, signal: NodeJS.Signals) => {
        rmSync(junit, { force: true });
        const good = await t.hutctl(['slot', 'health', 'set', 'hut-01', 'good', '--reason', 'ok']);
        assert.equal(good.code, 0, good.stderr);
        const counted = async () => {
          const { counters } = JSON.parse(
            (await t.hutctl(['slot', 'health', 'hut-01', '--json'])).stdout,
          );
          return [counters.hil_runs, counters.flash_failures, counters.boot_failures];
        };
        const before = await counted();
        const child = startCli(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--junit', junit], {
          cwd: t.dir,
          env: { HUTCTL_CONFIG: t.farm.configPath },
        });
        const done = finished(child);
        await waitFor(async () => stderrOf(child).includes(`hut-01: ${line}`), line, 30_000);
        await new Promise((r) => setTimeout(r, delay));
        child.kill(signal);
        const stuck = setTimeout(() => child.kill('SIGKILL'), 60_000);
        const r = await done;
        clearTimeout(stuck);
        const at = `${signal} ${delay} ms after '${line}': ${r.code} ${r.signal} ${r.stdout}${r.stderr}`;
        assert.notEqual(r.signal, 'SIGKILL', `did not stop: ${at}`);
        assert.equal(r.code, 130, at);
        assert.match(
          r.stdout,
          new RegExp(`hut-01 .* blocked +${phase} +interrupted \\(${signal}\\) during ${phase}`),
          at,
        );
        const xml = readFileSync(junit, 'utf8');
        assert.match(
          xml,
          new RegExp(
            `<error message="interrupted \\(${signal}\\) during ${phase}[^"]*" type="blocked:${phase}"/>`,
          ),
          at,
        );
        const evidence = /"(\/[^"]+_utc\.json)"/.exec(
          (await t.hutctl(['hil', 'history', '--slot', 'hut-01', '--json'])).stdout,
        )?.[1];
        assert.ok(evidence && existsSync(evidence), `the result file (${at})`);
        // A person stopped it: that says nothing of the board, whose health stays Good.
        const health = await t.hutctl(['slot', 'health', 'hut-01', '--json']);
        assert.equal(JSON.parse(health.stdout).state, 'good', `${at}: ${health.stdout}`);
        assert.deepEqual(await counted(), before, `not a run or a failure of the board: ${at}`);
        // Nothing is left on the port, and the slot is free.
        await waitFor(async () => portHolders(link).length === 0, 'the port to be let go', 5000);
        const next = await t.hutctl(['slot', 'run', 'hut-01', '--no-wait', '--', 'true']);
        assert.equal(next.code, 0, `after ${at}: ${next.stderr}`);
      },
    ),
    { numRuns: Number(process.env.HUTCTL_PROPERTY_RUNS ?? 6), seed: 31 },
  );
});

test('a dropped SSH session (its terminal hangs up) during hil run: it stops in order, its result and JUnit written; nothing left on the port', async () => {
  const { spawn } = await import('node:child_process');
  const { existsSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const link = t.farm.boards.get('hut-01')!.linkPath;
  const junit = join(t.dir, 'hangup.xml');
  rmSync(junit, { force: true });
  const results = async () =>
    JSON.parse((await t.hutctl(['hil', 'history', '--slot', 'hut-01', '--json'])).stdout) as Array<{
      status: string;
      phase: string;
      reason: string;
    }>;
  // hutctl leads a session whose controlling terminal is a PTY that socat holds, as sshd holds a
  // login's; killing socat closes the PTY's master: the kernel hangs the terminal up (SIGHUP to
  // hutctl, and EIO on every write to it after).
  const command = [process.execPath, CLI, 'hil', 'run', '--sha', SHA, '--slot', 'hut-01'];
  const terminal = spawn(
    'socat',
    ['-', `EXEC:${[...command, '--junit', junit].join(' ')},pty,setsid,ctty,stderr`],
    {
      env: { ...process.env, HUTCTL_CONFIG: t.farm.configPath },
      stdio: ['pipe', 'pipe', 'ignore'],
    },
  );
  let seen = '';
  terminal.stdout!.on('data', (chunk: Buffer) => {
    seen += chunk.toString();
  });
  try {
    await waitFor(async () => seen.includes('hut-01: flashing'), 'the flash to start', 30_000);
  } finally {
    terminal.kill('SIGKILL');
  }
  // A login shell passes the hang-up on to its jobs too: a second SIGHUP, which changes nothing.
  const { execFileSync } = await import('node:child_process');
  let pids = '';
  try {
    pids = execFileSync('pgrep', ['-f', `${CLI} hil run`], { encoding: 'utf8' });
  } catch {} // already ended: nothing to pass it to
  for (const pid of pids.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGHUP');
  // This run's result is the only one a hang-up stopped (counting rows is not enough: an earlier
  // test's runs may still be on their way into the ledger from its inbox).
  const hungUp = async () =>
    (await results()).find((r) => r.reason.startsWith('interrupted (SIGHUP)'));
  await waitFor(async () => (await hungUp()) !== undefined, "the run's result", 30_000);
  const result = await hungUp();
  assert.equal(result!.status, 'blocked', JSON.stringify(result));
  assert.match(result!.reason, /^interrupted \(SIGHUP\) during (flash|power|boot)/);
  await waitFor(async () => existsSync(junit), 'the JUnit file', 10_000);
  assert.match(readFileSync(junit, 'utf8'), /type="blocked:(flash|power|boot)"/);
  // hutctl is gone, the port let go and the slot free.
  await waitFor(
    async () => (await processesMatching(`${CLI} hil run`)) === 0,
    'hutctl to end',
    10_000,
  );
  await waitFor(async () => portHolders(link).length === 0, 'the port to be let go', 5000);
  const next = await t.hutctl(['slot', 'run', 'hut-01', '--no-wait', '--', 'true']);
  assert.equal(next.code, 0, next.stderr);
});

test('a run stopped while the flasher waits for an answer ends when its result is written: nothing of the flasher is left running', async () => {
  // --debug says which handles were still open if hutctl had to be ended by force.
  for (const delay of [0, 40, 120]) {
    const child = startCli(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--debug'], {
      cwd: t.dir,
      env: { HUTCTL_CONFIG: t.farm.configPath },
    });
    const done = finished(child);
    await waitFor(async () => stderrOf(child).includes('hut-01: flashing'), 'the flash', 30_000);
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.doesNotMatch(stderrOf(child), /exiting with handles still open/, `after ${delay} ms`);
  }
});

/** What `child` has written to its stderr so far (kept as it arrives). */
function stderrOf(child: import('node:child_process').ChildProcess): string {
  const kept = child as typeof child & { heard?: string };
  if (kept.heard === undefined) {
    kept.heard = '';
    child.stderr?.on('data', (c: Buffer | string) => {
      kept.heard += String(c);
    });
  }
  return kept.heard;
}

test('stopped while the relay is switching on: slot status says a change was under way, not that the power is off', async () => {
  const entity = t.farm.ha.entities.get('switch.hut_01_power')!;
  const status = async () =>
    (
      JSON.parse((await t.hutctl(['slot', 'status', '--json'])).stdout) as Array<{
        slot: string;
        power_change: { phase: string } | null;
      }>
    ).find((s) => s.slot === 'hut-01')!;
  const child = startCli(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json'], {
    cwd: t.dir,
    env: { HUTCTL_CONFIG: t.farm.configPath },
  });
  const done = finished(child);
  const cycles = async () =>
    JSON.parse((await t.hutctl(['slot', 'health', 'hut-01', '--json'])).stdout).counters
      .power_cycles;
  const cyclesBefore = await cycles();
  try {
    // The relay went off; from now on it ignores "turn on" (its confirmation waits 10 s).
    await waitFor(async () => entity.state === 'off', 'the relay to switch off', 60_000);
    entity.failure = 'stuck';
    await waitFor(
      async () => (await status()).power_change?.phase === 'on',
      'the switch-on to be asked for',
      30_000,
    );
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(JSON.parse(r.stdout).reason, /^interrupted \(SIGINT\) during power/);
    const after = await status();
    assert.equal(after.power_change?.phase, 'on', JSON.stringify(after));
    // A cycle cut short is not a cycle.
    assert.equal(await cycles(), cyclesBefore);
  } finally {
    entity.failure = 'none';
    child.kill('SIGKILL');
    await done;
  }
  // The next run finds the relay off and switches it on first.
  const next = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json']);
  assert.equal(next.code, 0, next.stderr);
});
