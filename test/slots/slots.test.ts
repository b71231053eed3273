/** Slots on the simulated farm: inventory, doctor, import, locks, routing, slot run, recovery. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireConfig } from '../../src/config/index.ts';
import { acquireSlot, getSlot, runSlotJob } from '../../src/slots/index.ts';
import { finished, runCli, startCli, tempDir, waitFor } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
before(async () => {
  t = await startTestFarm(3);
});
after(async () => {
  await t.stop();
});

const reports = (slot: string) =>
  readdirSync(join(t.dir, 'evidence'))
    .filter((n) => n.startsWith(`runner_slot-${slot}`) && n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(t.dir, 'evidence', n), 'utf8')));

describe('inventory', () => {
  test('scan lists every by-id link with its tty, maps slots, and writes the inventory log', async () => {
    const result = await t.hutctl(['slot', 'scan', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const scan = JSON.parse(result.stdout);
    assert.equal(scan.devices.length, 3);
    assert.deepEqual(
      scan.devices.map((d: { slot: string }) => d.slot),
      ['hut-01', 'hut-02', 'hut-03'],
    );
    assert.match(scan.devices[0].tty, /^\/dev\/pts\/\d+$/);
    assert.equal(scan.devices[0].serial_number, 'SIM0001');
    assert.match(scan.log_path, /runner_hil_topo_inventory_\d{8}_\d{6}_utc\.log$/);
    assert.match(readFileSync(scan.log_path, 'utf8'), /by_id_count=3/);
  });

  test('--propose offers entries only for devices that are there and unmapped', async () => {
    const byId = join(t.dir, 'by-id');
    symlinkSync(
      readdirSync('/dev/pts').includes('ptmx') ? '/dev/ptmx' : '/dev/null',
      join(byId, 'usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0'),
    );
    symlinkSync('/dev/nonexistent-tty', join(byId, 'usb-Gone_Board_DEAD-if00-port0'));
    try {
      const result = await t.hutctl(['slot', 'scan', '--propose', '--json']);
      const { proposals } = JSON.parse(result.stdout);
      assert.deepEqual(
        proposals.map((p: { id: string; serial: string }) => [p.id, p.serial]),
        [['hut-04', 'usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0']],
      );
    } finally {
      for (const name of [
        'usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0',
        'usb-Gone_Board_DEAD-if00-port0',
      ]) {
        await import('node:fs/promises').then((fs) => fs.rm(join(byId, name)));
      }
    }
  });

  test('doctor finds a missing device and two slots on one device', async () => {
    const config = readFileSync(t.farm.configPath, 'utf8')
      .replace(
        'serial: usb-Espressif_SimBoard_SIM0003-if00-port0',
        'serial: usb-Espressif_SimBoard_SIM0001-if00-port0',
      )
      .concat('  hut-09:\n    serial: usb-Nowhere_Board_X-if00-port0\n');
    const path = join(t.dir, 'doctor.yaml');
    writeFileSync(path, config);
    const result = await t.hutctl(['slot', 'doctor'], { env: { HUTCTL_CONFIG: path } });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /error: slot hut-09: .*usb-Nowhere_Board_X-if00-port0 does not exist \(board unplugged or powered off\? run 'hutctl slot scan'\)/,
    );
    assert.match(result.stdout, /error: slots hut-01, hut-03 are all mapped to /);
    assert.match(result.stdout, /error: slots hut-01, hut-03 all resolve to one device/);
    assert.match(
      result.stdout,
      /info: locks and local steps go through the keeper \(perl, pid \d+\)/,
    );
    assert.doesNotMatch(result.stdout, /lock file/);

    // A lock directory that cannot be made, and no keeper: both said, with what to do.
    writeFileSync(join(t.dir, 'not-a-dir'), '');
    writeFileSync(
      path,
      config.replace(/slot_lock_dir: .*/, `slot_lock_dir: ${join(t.dir, 'not-a-dir', 'locks')}`),
    );
    const off = await t.hutctl(['slot', 'doctor', '--json'], {
      env: { HUTCTL_CONFIG: path, HUTCTL_KEEPER: 'off' },
    });
    const findings = JSON.parse(off.stdout).findings as Array<{ code: string; message: string }>;
    assert.match(
      findings.find((f) => f.code === 'lock_file')!.message,
      /slot hut-01: cannot create its lock file .*not-a-dir\/locks\/hut-01\.lock: .*not-a-dir is not a directory/,
    );
    assert.match(findings.find((f) => f.code === 'keeper')!.message, /HUTCTL_KEEPER=off/);
  });

  test('import merges hut_slots.json into hutctl.yaml and keeps its comments', async () => {
    const dir = join(t.dir, 'import');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'hutctl.yaml'),
      '# farm config\nslots:\n  hut-01:\n    serial: /dev/serial/by-id/old # keep me\n',
    );
    writeFileSync(
      join(dir, 'hut_slots.json'),
      JSON.stringify({
        'hut-01': { serial_by_id: '/dev/serial/by-id/usb-A' },
        'hut-02': { serial_by_id: '/dev/serial/by-id/usb-B' },
      }),
    );
    const result = await t.hutctl([
      '--config',
      join(dir, 'hutctl.yaml'),
      'slot',
      'import',
      join(dir, 'hut_slots.json'),
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      config: join(dir, 'hutctl.yaml'),
      added: ['hut-02'],
      updated: ['hut-01'],
      unchanged: [],
    });
    const yaml = readFileSync(join(dir, 'hutctl.yaml'), 'utf8');
    assert.match(yaml, /^# farm config/);
    assert.match(yaml, /serial: \/dev\/serial\/by-id\/usb-A # keep me/);
    assert.match(yaml, /hut-02:\n\s+serial: \/dev\/serial\/by-id\/usb-B\n\s+labels:/);
    const bad = await t.hutctl(['--config', join(dir, 'hutctl.yaml'), 'slot', 'import', '-'], {
      input: '{"HUT 1": {}}',
    });
    assert.equal(bad.code, 2);
    assert.equal(readFileSync(join(dir, 'hutctl.yaml'), 'utf8'), yaml, 'bad input changes nothing');
  });
});

describe('slot locks and runs', () => {
  test('slot run fills {port} and {slot}, holds the slot lock, and reports the slot', async () => {
    const result = await t.hutctl([
      'slot',
      'run',
      'hut-01',
      '--json',
      '--',
      'sh',
      '-c',
      'echo "port={port} slot={slot}"; flock -n {lockdir}/hut-01.lock true && echo UNLOCKED || echo LOCKED'.replace(
        '{lockdir}',
        join(t.dir, 'locks'),
      ),
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.slot, 'hut-01');
    assert.equal(report.lock_key, 'hut-01');
    assert.equal(report.re_enumerated, false);
    const log = readFileSync(report.log_path, 'utf8');
    assert.match(log, new RegExp(`port=${t.farm.boards.get('hut-01')!.linkPath} slot=hut-01`));
    assert.match(log, /\nLOCKED\n/, 'flock(1) sees the slot lock while the job runs');
  });

  test('a flock(1) script holding the slot excludes slot run; its death frees the slot', async () => {
    const lock = join(t.dir, 'locks', 'hut-02.lock');
    const script = spawn('flock', ['-x', '-F', lock, 'sh', '-c', 'echo held; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => script.stdout!.once('data', resolve));
    const busy = await t.hutctl(['slot', 'run', 'hut-02', '--no-wait', '--', 'true']);
    assert.equal(busy.code, 75);
    assert.match(busy.stderr, /slot hut-02 is busy: held by a process that left no hutctl record/);
    script.kill('SIGKILL');
    await finished(script);
    assert.equal((await t.hutctl(['slot', 'run', 'hut-02', '--no-wait', '--', 'true'])).code, 0);
  });

  test('SIGKILL of a slot run frees the slot at once and leaves no step behind', async () => {
    const marker = `sleep 41${Math.floor(Math.random() * 1e5)}`;
    const child = startCli(['slot', 'run', 'hut-03', '--', 'sh', '-c', marker], {
      cwd: t.dir,
      env: { HUTCTL_CONFIG: t.farm.configPath },
    });
    const done = finished(child);
    await waitFor(
      () => readdirSync(join(t.dir, 'locks')).includes('hut-03.lock.owner'),
      'the slot to be taken',
    );
    child.kill('SIGKILL');
    await done;
    // The keeper notices its owner is gone (its stdin closes), ends the step, and so frees the
    // lock; on a loaded machine that can take a moment after the kill.
    await waitFor(
      async () => (await t.hutctl(['slot', 'run', 'hut-03', '--no-wait', '--', 'true'])).code === 0,
      'the slot to be free',
      5000,
    );
    const { processesMatching } = await import('../support/cli.ts');
    await waitFor(
      async () => (await processesMatching(marker)) === 0,
      'the step to be ended',
      10_000,
    );
  });

  test('the step runs in the directory slot run was started from, so relative paths work', async () => {
    const project = tempDir('hutctl-project-');
    mkdirSync(join(project, 'build'));
    writeFileSync(join(project, 'build', 'app.bin'), 'firmware');
    const result = await runCli(
      ['slot', 'run', 'hut-02', '--', 'sh', '-c', 'pwd; cat build/app.bin'],
      {
        cwd: project,
        env: { HUTCTL_CONFIG: t.farm.configPath },
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^${project}\\nfirmware`, 'm'));
  });

  test('--label takes a free matching slot; a label no slot has is refused at once', async () => {
    const lock = join(t.dir, 'locks', 'hut-01.lock');
    const script = spawn('flock', ['-x', '-F', lock, 'sh', '-c', 'echo held; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => script.stdout!.once('data', resolve));
    try {
      const result = await t.hutctl(['slot', 'run', '--label', 'esp32', '--json', '--', 'true']);
      assert.equal(result.code, 0, result.stderr);
      assert.notEqual(JSON.parse(result.stdout).slot, 'hut-01');
    } finally {
      script.kill('SIGKILL');
    }
    const never = await t.hutctl(['slot', 'run', '--label', 'nrf52', '--', 'true']);
    assert.equal(never.code, 2);
    assert.match(never.stderr, /no slot has the label "nrf52", so no slot could ever run this/);
    assert.match(never.stderr, /labels in use: esp32, esp32-hut-01/);
  });

  test('a label waits on every busy slot, takes the first freed, and lets go of the others', async () => {
    const config = await requireConfig({ configPath: t.farm.configPath });
    const ids = ['hut-01', 'hut-02', 'hut-03'];
    const lockOf = (id: string) => join(t.dir, 'locks', `${id}.lock`);
    const holders = new Map(
      await Promise.all(
        ids.map(async (id) => {
          const holder = spawn(
            'flock',
            ['-x', '-F', lockOf(id), 'sh', '-c', 'echo held; exec sleep 30'],
            {
              stdio: ['ignore', 'pipe', 'ignore'],
            },
          );
          await new Promise((resolve) => holder.stdout!.once('data', resolve));
          return [id, holder] as const;
        }),
      ),
    );
    const free = async (id: string) =>
      (await finished(spawn('flock', ['-n', lockOf(id), 'true']))).code === 0;
    try {
      const waiting = acquireSlot(
        config,
        ids.map((id) => getSlot(config, id)),
        {
          owner: { pid: process.pid, host: 'test', since: new Date().toISOString() },
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      holders.get('hut-02')!.kill('SIGKILL');
      const { slot, lock } = await waiting;
      assert.equal(slot.id, 'hut-02');
      holders.get('hut-01')!.kill('SIGKILL');
      holders.get('hut-03')!.kill('SIGKILL');
      await waitFor(
        async () => (await free('hut-01')) && (await free('hut-03')),
        'the other slots to stay free',
      );
      assert.equal(await free('hut-02'), false, 'the slot taken is held');
      await lock.release();
      assert.equal(await free('hut-02'), true);
    } finally {
      for (const holder of holders.values()) holder.kill('SIGKILL');
    }
  });

  test('200 concurrent runs on one slot: none overlaps, none is lost', async () => {
    const config = await requireConfig({ configPath: t.farm.configPath });
    const trace = join(t.dir, 'trace.txt');
    const runs = Array.from({ length: 200 }, (_, i) =>
      runSlotJob({
        config,
        slot: 'hut-02',
        jobId: `many-${i}`,
        argv: ['sh', '-c', `echo "start ${i}" >> ${trace}; echo "end ${i}" >> ${trace}`],
      }),
    );
    const outcomes = await Promise.all(runs);
    assert.equal(outcomes.filter((o) => o.report.status === 'success').length, 200);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    assert.equal(lines.length, 400);
    for (let i = 0; i < lines.length; i += 2) {
      const id = lines[i]!.split(' ')[1];
      assert.deepEqual(
        [lines[i], lines[i + 1]],
        [`start ${id}`, `end ${id}`],
        `overlap at line ${i}`,
      );
    }
  });

  test('a board that re-enumerates during a job is reported, and the slot stays the same', async () => {
    const child = startCli(['slot', 'run', 'hut-01', '--json', '--', 'sleep', '1.5'], {
      cwd: t.dir,
      env: { HUTCTL_CONFIG: t.farm.configPath },
    });
    const done = finished(child);
    child.stdin!.end();
    await waitFor(
      () => readdirSync(join(t.dir, 'locks')).includes('hut-01.lock.owner'),
      'the slot to be taken',
    );
    await new Promise((r) => setTimeout(r, 300));
    await t.farm.boards.get('hut-01')!.replug(400);
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.slot, 'hut-01');
    assert.equal(report.re_enumerated, true);
    assert.ok(
      report.serial_events.some((e: { tty: string | null }) => e.tty === null),
      'the link was seen gone',
    );
    assert.notEqual(report.serial_events.at(-1).tty, null, 'and back');
    assert.equal(
      (await t.hutctl(['slot', 'run', 'hut-01', '--no-wait', '--', 'true'])).code,
      0,
      'no lock left behind',
    );
  });

  test('selftest proves same-slot serialization and cross-slot concurrency on the real lock files', async () => {
    const result = await t.hutctl(['slot', 'selftest', '--hold-ms', '200', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.same_slot.overlap_ms, 0);
    assert.ok(json.different_slots.overlap_ms > 100);
    assert.match(readFileSync(json.log_path, 'utf8'), /result: PASS/);
  });

  test('slot status shows who holds a slot and the last power state', async () => {
    const child = startCli(
      ['slot', 'run', 'hut-03', '--job-id', 'status-probe', '--', 'sleep', '2'],
      { cwd: t.dir, env: { HUTCTL_CONFIG: t.farm.configPath } },
    );
    const done = finished(child);
    child.stdin!.end();
    await waitFor(
      () => readdirSync(join(t.dir, 'locks')).includes('hut-03.lock.owner'),
      'the slot to be taken',
    );
    await new Promise((r) => setTimeout(r, 100));
    const status = await t.hutctl(['slot', 'status', '--json']);
    const row = JSON.parse(status.stdout).find((r: { slot: string }) => r.slot === 'hut-03');
    assert.equal(row.locked, true);
    assert.equal(row.holder.job_id, 'status-probe');
    await done;
  });
});

describe('recovery', () => {
  test('a board that hangs is power-cycled once and then passes: recovery_events = 1', async () => {
    t.farm.boards.get('hut-02')!.mode = 'hang-once';
    await t.hutctl(['power', 'cycle', 'hut-02', '--force']);
    const result = await t.hutctl([
      'slot',
      'run',
      'hut-02',
      '--recover',
      '--timeout',
      '3',
      '--json',
      '--',
      'sh',
      '-c',
      'grep -m1 -q "squeezelite-esp32: ready" < {port}',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.status, 'success');
    assert.equal(report.recovery_events, 1);
    assert.match(report.recoveries[0], /the step timed out; power cycle of hut-02: ok/);
  });

  test('a board that panics is power-cycled once; still panicking, it fails with the panic recorded', async () => {
    t.farm.boards.get('hut-03')!.mode = 'panic';
    await t.hutctl(['power', 'cycle', 'hut-03', '--force']);
    try {
      const result = await t.hutctl([
        'slot',
        'run',
        'hut-03',
        '--recover',
        '--timeout',
        '5',
        '--json',
        '--',
        'sh',
        '-c',
        'timeout 1 cat {port}; exit 3',
      ]);
      assert.equal(result.code, 1, result.stderr);
      const report = JSON.parse(result.stdout);
      assert.equal(report.status, 'failed');
      assert.equal(report.recovery_events, 1);
      assert.match(
        report.recoveries[0],
        /the board panicked \(Guru Meditation Error: Core {2}0 panic'ed \(LoadProhibited\)/,
      );
    } finally {
      t.farm.boards.get('hut-03')!.mode = 'normal';
    }
  });

  test('without --recover nothing is power-cycled', async () => {
    const before = t.farm.boards.get('hut-01')!.boots;
    const result = await t.hutctl([
      'slot',
      'run',
      'hut-01',
      '--timeout',
      '1',
      '--json',
      '--',
      'sleep',
      '5',
    ]);
    assert.equal(result.code, 124);
    assert.equal(JSON.parse(result.stdout).recovery_events, undefined);
    assert.equal(t.farm.boards.get('hut-01')!.boots, before);
    assert.ok(reports('hut-01').length > 0);
  });
});
