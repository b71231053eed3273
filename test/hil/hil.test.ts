/** The hardware lane on the simulated farm: artifacts by SHA, HW-BOOT-001, CI outputs. */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flashChanges, putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';
import { type IdfBuild, writeIdfBuild } from '../support/idf-build.ts';

let t: TestFarm;
let build: IdfBuild;
const SHA = 'a1b2c3d4e5f6';
before(async () => {
  t = await startTestFarm(3);
  writeFileSync(join(t.dir, 'app.bin'), Buffer.alloc(8192, 7));
  build = await putIdfBuild(t, SHA, { version: 'v2.1.0-hil' }, ['i2s', 'muse', 'squeezeamp']);
});
after(async () => {
  await t.stop();
});

const flashes = () => flashChanges(t);
const hil = async (...args: string[]) => {
  const result = await t.hutctl(['hil', 'run', '--sha', SHA, '--json', ...args]);
  return { ...result, json: result.stdout ? JSON.parse(result.stdout) : null };
};

describe('artifacts by SHA', () => {
  test('put records sizes and sha256; get verifies and copies; list shows them', async () => {
    const list = JSON.parse((await t.hutctl(['artifact', 'list', '--json'])).stdout);
    assert.equal(list.length, 3);
    assert.deepEqual(
      list[0].files.map((f: { name: string }) => f.name),
      build.files,
      'the build tree as ESP-IDF lays it out',
    );
    assert.match(list[0].files[0].sha256, /^[0-9a-f]{64}$/);
    assert.equal(list[0].app.version, 'v2.1.0-hil');
    const got = await t.hutctl([
      'artifact',
      'get',
      SHA,
      '--profile',
      'i2s',
      '--to',
      join(t.dir, 'out'),
    ]);
    assert.equal(got.code, 0, got.stderr);
    for (const file of build.files)
      assert.deepEqual(
        readFileSync(join(t.dir, 'out', file)),
        readFileSync(join(build.buildDir, file)),
      );
    const verified = await t.hutctl(['artifact', 'verify', SHA, '--profile', 'i2s', '--json']);
    assert.equal(verified.code, 0, verified.stderr);
    assert.deepEqual(
      JSON.parse(verified.stdout).files,
      list.find((m: { profile: string }) => m.profile === 'i2s').files,
    );
  });

  test('a missing artifact, a bad SHA and a missing file are clear errors', async () => {
    const missing = await t.hutctl(['artifact', 'get', 'ffff000', '--profile', 'i2s']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no artifact for ffff000 \(profile i2s\)/);
    assert.match(missing.stderr, /artifact put ffff000/);
    // A short SHA, as `git log --oneline` prints it, for one stored under its full SHA: said so.
    const short = await t.hutctl(['artifact', 'get', SHA.slice(0, 7), '--profile', 'i2s']);
    assert.equal(short.code, 1);
    assert.match(
      short.stderr,
      new RegExp(
        `no artifact for ${SHA.slice(0, 7)} \\(profile i2s\\) in .* \\(stored under a full SHA that begins with it: ${SHA}\\)`,
      ),
    );
    // Not for a profile that SHA was not stored with.
    const other = await t.hutctl(['artifact', 'get', SHA.slice(0, 7), '--profile', 'nosuch']);
    assert.doesNotMatch(other.stderr, /stored under a full SHA/);
    // hil run says it in its result (and its JUnit) too.
    const run = await t.hutctl([
      'hil',
      'run',
      '--sha',
      SHA.slice(0, 7),
      '--slot',
      'hut-01',
      '--json',
    ]);
    assert.match(
      JSON.parse(run.stdout).reason,
      new RegExp(`begins with it: ${SHA}\\); nothing was flashed`),
    );
    assert.equal(
      (await t.hutctl(['artifact', 'put', 'not-a-sha', join(t.dir, 'app.bin')])).code,
      2,
    );
    const nofile = await t.hutctl([
      'artifact',
      'put',
      SHA,
      join(t.dir, 'nope.bin'),
      '--profile',
      'x',
    ]);
    assert.match(nofile.stderr, /nope\.bin: no such file/);
  });
});

describe('HW-BOOT-001', () => {
  test('flashes the build through the ROM protocol on two slots at once, and both boot it', async () => {
    const changed = [flashChanges(t, 'hut-01'), flashChanges(t, 'hut-02')];
    const [a, b] = await Promise.all([hil('--slot', 'hut-01'), hil('--slot', 'hut-02')]);
    for (const [r, slot, platform] of [
      [a, 'hut-01', 'i2s'],
      [b, 'hut-02', 'muse'],
    ] as const) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.status, 'pass');
      assert.equal(r.json.commit_sha, SHA);
      assert.equal(r.json.lane, 'local-hil');
      assert.equal(r.json.slot, slot);
      assert.equal(r.json.platform, platform);
      assert.equal(r.json.test_id, 'HW-BOOT-001');
      assert.equal(r.json.power_cycles, 1);
      assert.equal(r.json.recovery_events, 0);
      assert.equal(r.json.reset_reason, 'POWERON_RESET');
      assert.match(
        r.json.evidence[0],
        new RegExp(`runner_hil_hw-boot-001_${slot}_${SHA.slice(0, 12)}_\\d{8}_\\d{6}_utc\\.log$`),
      );
      assert.equal(r.json.app_version, 'v2.1.0-hil');
      assert.equal(r.json.expected_version, 'v2.1.0-hil');
      const log = readFileSync(r.json.evidence[0], 'utf8');
      // What the flasher wrote, checked by MD5, then the boot log of exactly that build.
      for (const file of [build.bootloader, build.partitionTable, build.app])
        assert.match(
          log,
          new RegExp(
            `^Wrote \\d+ bytes at 0x${file.offset.toString(16).padStart(8, '0')} \\(${file.path}\\), md5 [0-9a-f]{32}, verified$`,
            'm',
          ),
        );
      assert.match(log, /I \(\d+\) boot: Loaded app from partition at offset 0x10000$/m);
      assert.match(log, /app_init: App version: +v2\.1\.0-hil/);
      assert.match(log, /squeezelite-esp32: ready/);
    }
    assert.ok(flashChanges(t, 'hut-01') > changed[0]!, 'hut-01 was written');
    assert.ok(flashChanges(t, 'hut-02') > changed[1]!, 'hut-02 was written');
    const overlap =
      Math.min(Date.parse(a.json.ended_utc), Date.parse(b.json.ended_utc)) -
      Math.max(Date.parse(a.json.started_utc), Date.parse(b.json.started_utc));
    assert.ok(overlap >= 0, 'the two slots ran at the same time');
  });

  test('a board that panics fails, with the panic line quoted', async () => {
    t.farm.boards.get('hut-03')!.mode = 'panic';
    try {
      const r = await hil('--slot', 'hut-03');
      assert.equal(r.code, 1);
      assert.equal(r.json.status, 'fail');
      assert.equal(r.json.phase, 'boot');
      assert.equal(
        r.json.reason,
        "panic: Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.",
      );
    } finally {
      t.farm.boards.get('hut-03')!.mode = 'normal';
    }
  });

  test('a board that hangs gets a serial reset where it can (a PTY cannot), then a power cycle, and passes with recovery_events = 1', async () => {
    t.farm.boards.get('hut-01')!.mode = 'hang-once';
    const r = await hil('--slot', 'hut-01');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.status, 'pass');
    assert.match(r.json.reason, /\(after a power cycle\)$/);
    assert.deepEqual(
      r.json.recoveries.map((e: { phase: string; outcome: string }) => [e.phase, e.outcome]),
      [
        ['serial-reset', 'unsupported'],
        ['power-cycle', 'booted'],
      ],
    );
    assert.equal(r.json.recovery_events, 1);
    assert.equal(r.json.power_cycles, 2);
    const log = readFileSync(
      r.json.evidence.find((e: string) => e.endsWith('.log')),
      'utf8',
    );
    assert.match(log, /# recovery: the port has no DTR\/RTS lines: no serial reset/);
  });

  test('SIGKILL of hil run while it reads the boot log leaves no reader on the port and frees the slot', async () => {
    const { startCli, finished, portHolders, waitFor } = await import('../support/cli.ts');
    const board = t.farm.boards.get('hut-02')!;
    board.mode = 'hang';
    try {
      const child = startCli(['hil', 'run', '--sha', SHA, '--slot', 'hut-02'], {
        cwd: t.dir,
        env: { HUTCTL_CONFIG: t.farm.configPath },
      });
      const done = finished(child);
      let said = '';
      child.stderr!.on('data', (chunk: string) => {
        said += chunk;
      });
      // hutctl itself holds the port while it reads the boot log (the flasher held it before).
      await waitFor(
        () => said.includes('reading the boot log') && portHolders(board.linkPath).length > 0,
        'the boot log capture',
      );
      child.kill('SIGKILL');
      await done;
      await waitFor(() => portHolders(board.linkPath).length === 0, 'the reader to go', 3000);
      const next = await t.hutctl(['slot', 'run', 'hut-02', '--no-wait', '--', 'true']);
      assert.equal(next.code, 0, next.stderr);
    } finally {
      board.mode = 'normal';
    }
  });

  test('a corrupt artifact is blocked and never flashed', async () => {
    const before = flashes();
    const stored = join(t.dir, 'artifacts', SHA, 'muse', 'squeezelite.bin');
    const original = readFileSync(stored);
    writeFileSync(
      stored,
      Buffer.concat([original.subarray(0, 100), Buffer.from('x'), original.subarray(101)]),
    );
    try {
      const r = await hil('--slot', 'hut-02');
      assert.equal(r.code, 3);
      assert.equal(r.json.status, 'blocked');
      assert.equal(r.json.phase, 'artifact');
      assert.match(r.json.reason, /squeezelite\.bin is corrupt .*nothing was flashed/);
      assert.equal(flashes(), before, 'the flasher never ran');
    } finally {
      writeFileSync(stored, original);
    }
  });

  test('an artifact whose image is empty (stored as a directory, not a build) is blocked at artifact and never flashed; the board is not blamed', async () => {
    const { cpSync, mkdtempSync } = await import('node:fs');
    const sha = 'e3e3e3e30001';
    const build = await putIdfBuild(t, sha, {}, ['squeezeamp']);
    // `--build-dir` refuses an empty image; a whole directory is stored as it is.
    const dir = mkdtempSync(join(t.dir, 'empty-app-'));
    cpSync(build.buildDir, dir, { recursive: true });
    writeFileSync(join(dir, 'squeezelite.bin'), '');
    const refused = await t.hutctl([
      'artifact',
      'put',
      sha,
      '--build-dir',
      dir,
      '--profile',
      'squeezeamp',
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /"squeezelite\.bin" is empty/);
    const put = await t.hutctl(['artifact', 'put', sha, `${dir}/`, '--profile', 'squeezeamp']);
    assert.equal(put.code, 0, put.stderr);
    const counters = async () =>
      JSON.parse((await t.hutctl(['slot', 'health', 'hut-03', '--json'])).stdout).counters;
    const [before, flashed] = [await counters(), flashes()];
    const r = await t.hutctl(['hil', 'run', '--sha', sha, '--slot', 'hut-03', '--json']);
    const json = JSON.parse(r.stdout);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual([json.status, json.phase], ['blocked', 'artifact']);
    assert.match(json.reason, /"squeezelite\.bin" is empty .*nothing was flashed/);
    assert.equal(flashes(), flashed, 'the flasher never ran');
    assert.equal((await counters()).flash_failures, before.flash_failures);
  });

  test('a build whose app is damaged (stored as built) flashes, then fails in the bootloader', async () => {
    const sha = 'badc0de0001';
    await putIdfBuild(t, sha, { corrupt: 'app-segment', seed: 3 }, ['squeezeamp']);
    const r = await t.hutctl(['hil', 'run', '--sha', sha, '--slot', 'hut-03', '--json']);
    const json = JSON.parse(r.stdout);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual([json.status, json.phase], ['fail', 'boot']);
    assert.match(
      json.reason,
      /^reset loop: \d+ resets without reaching the boot marker; the board said: esp_image: (Checksum failed\. Calculated 0x[0-9a-f]+ read 0x[0-9a-f]+|Image hash failed - image is corrupt); …; boot: No bootable app partitions in the partition table$/,
    );
    assert.equal(json.reset_reason, 'POWERON_RESET');
    assert.match(readFileSync(json.evidence[0], 'utf8'), /rst:0x3 \(SW_RESET\)/);
  });

  test('a build for another chip is refused by the flasher before anything is written: blocked in flash', async () => {
    await putIdfBuild(t, 'c0ffee5300', { chip: 'esp32s3' }, ['squeezeamp']);
    const before = flashChanges(t, 'hut-03');
    const r = await t.hutctl(['hil', 'run', '--sha', 'c0ffee5300', '--slot', 'hut-03', '--json']);
    assert.ok(r.stdout, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual([json.status, json.phase], ['blocked', 'flash']);
    assert.match(
      json.reason,
      /: this chip is ESP32, not ESP32S3 \(the images are for esp32s3\); nothing was written$/,
    );
    assert.equal(flashChanges(t, 'hut-03'), before, 'the flash was not touched');
  });

  test("images whose headers name another chip than the build's flasher_args are refused before writing", async () => {
    await putIdfBuild(t, 'c0ffee5301', { chipId: 9 }, ['squeezeamp']);
    const before = flashChanges(t, 'hut-03');
    const r = await t.hutctl(['hil', 'run', '--sha', 'c0ffee5301', '--slot', 'hut-03', '--json']);
    const json = JSON.parse(r.stdout);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual([json.status, json.phase], ['blocked', 'flash']);
    assert.match(
      json.reason,
      /bootloader\/bootloader\.bin is an image for chip id 9, and this ESP32 is chip id 0; nothing was written$/,
    );
    assert.equal(flashChanges(t, 'hut-03'), before);
  });

  test('a flash that did not take: the board boots the old build, fail in flash-verify', async () => {
    // A profile whose "flasher" does nothing, on a board that runs v2.1.0-hil.
    const config = readFileSync(t.farm.configPath, 'utf8').replace(
      /^profiles:\n/m,
      `profiles:\n  noflash:\n    flash: ['true']\n    boot_marker: 'squeezelite-esp32: ready'\n    boot_timeout_sec: 5\n`,
    );
    const path = join(t.dir, 'noflash.yaml');
    writeFileSync(path, config);
    const first = await hil('--slot', 'hut-01');
    assert.equal(first.json.app_version, 'v2.1.0-hil', first.stderr);
    await putIdfBuild(t, 'feed5eed01', { version: 'v3.0.0' }, ['noflash']);
    const r = await t.hutctl(
      ['hil', 'run', '--sha', 'feed5eed01', '--slot', 'hut-01', '--profile', 'noflash', '--json'],
      { env: { HUTCTL_CONFIG: path } },
    );
    const json = JSON.parse(r.stdout);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual([json.status, json.phase], ['fail', 'flash-verify']);
    assert.equal(json.app_version, 'v2.1.0-hil');
    assert.equal(json.expected_version, 'v3.0.0');
    assert.match(json.reason, /booted version v2\.1\.0-hil \(the artifact's is v3\.0\.0\)/);
  });

  test('a slot whose device vanished is blocked', async () => {
    const board = t.farm.boards.get('hut-03')!;
    await board.powerOff();
    t.farm.ha.entities.get('switch.hut_03_power')!.state = 'off';
    const config = readFileSync(t.farm.configPath, 'utf8').replace(
      /( {2}hut-03:\n(?: {4}.*\n)*?) {4}power:\n(?: {6}.*\n)+/,
      '$1',
    );
    const path = join(t.dir, 'nopower.yaml');
    writeFileSync(path, config);
    try {
      const started = Date.now();
      const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-03', '--json'], {
        env: { HUTCTL_CONFIG: path },
      });
      const json = JSON.parse(r.stdout);
      assert.equal(json.status, 'blocked');
      assert.equal(json.phase, 'device');
      assert.match(json.reason, /usb-Espressif_SimBoard_SIM0003-if00-port0 does not exist/);
      assert.ok(Date.now() - started < 30_000);
    } finally {
      t.farm.ha.entities.get('switch.hut_03_power')!.state = 'on';
      await board.powerOn();
    }
  });

  test('a serial path that loops or cannot be followed is blocked at device, in its own words', async () => {
    const { symlinkSync } = await import('node:fs');
    const loop = join(t.dir, 'loop-a');
    symlinkSync(join(t.dir, 'loop-b'), loop);
    symlinkSync(loop, join(t.dir, 'loop-b'));
    const cases = [
      [loop, /loop-a is a loop of symbolic links; check serial: in hutctl\.yaml$/],
      [join(t.farm.configPath, 'port'), /hutctl\.yaml\/port has a part that is not a directory/],
    ] as const;
    for (const [serial, reason] of cases) {
      const path = join(t.dir, 'badserial.yaml');
      writeFileSync(
        path,
        readFileSync(t.farm.configPath, 'utf8').replace(
          /serial: \S*SIM0003-if00-port0/,
          `serial: ${serial}`,
        ),
      );
      const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-03', '--json'], {
        env: { HUTCTL_CONFIG: path },
      });
      assert.equal(r.code, 3, r.stderr);
      const json = JSON.parse(r.stdout);
      assert.equal(json.status, 'blocked');
      assert.equal(json.phase, 'device');
      assert.match(json.reason, reason);
    }
  });

  test('surface runs every slot at once and writes JUnit and a Markdown summary', async () => {
    const junit = join(t.dir, 'junit.xml');
    const summary = join(t.dir, 'summary.md');
    rmSync(summary, { force: true });
    t.farm.boards.get('hut-02')!.mode = 'panic';
    try {
      const r = await t.hutctl([
        'hil',
        'surface',
        '--sha',
        SHA,
        '--junit',
        junit,
        '--summary',
        summary,
      ]);
      assert.equal(r.code, 1, 'any fail makes the exit non-zero');
      assert.match(r.stdout, /^hut-01 +i2s +pass/m);
      assert.match(r.stdout, /^hut-02 +muse +fail +boot +panic: Guru Meditation/m);
      assert.match(r.stdout, /^hut-03 +squeezeamp +pass/m);
      const xml = readFileSync(junit, 'utf8');
      assert.match(xml, /<testsuite name="hutctl-hil" tests="3" failures="1" errors="0"/);
      assert.match(
        xml,
        /<testcase classname="hutctl-hil.hut-02" name="HW-BOOT-001 hut-02" time="[\d.]+">\s*<failure message="panic: Guru Meditation Error: Core {2}0 panic&apos;ed|<failure message="panic: Guru Meditation Error: Core {2}0 panic'ed/,
      );
      const md = readFileSync(summary, 'utf8');
      assert.match(md, /\| hut-02 \| muse \| HW-BOOT-001 \| ❌ fail \|/);
    } finally {
      t.farm.boards.get('hut-02')!.mode = 'normal';
    }
  });
});

describe('artifacts from GitHub Actions', () => {
  test("get --from-github finds the SHA's successful run, downloads its artifact, stores and verifies it", async () => {
    const { startFakeGithub } = await import('../support/github.ts');
    const sha = 'c0ffee1234567890c0ffee1234567890c0ffee12';
    // What actions/upload-artifact makes of `path: build/`: the tree, nested, under its root.
    const gh = writeIdfBuild(join(t.dir, 'gh-src'), {
      project: 'squeezelite',
      version: 'v4.0.0-gh',
      layout: 'two-ota',
    });
    const tree = Object.fromEntries(
      gh.files.map((f) => [f, new Uint8Array(readFileSync(join(gh.buildDir, f)))]),
    );
    const app = tree['squeezelite.bin']!;
    const github = await startFakeGithub('gh-token', [
      { id: 7, head_sha: sha, conclusion: 'failure', artifacts: [] },
      {
        id: 8,
        head_sha: sha,
        conclusion: 'success',
        artifacts: [
          {
            name: `firmware-${sha}-i2s`,
            files: tree,
          },
        ],
      },
    ]);
    try {
      const env = { GITHUB_API_URL: github.url, GITHUB_TOKEN: 'gh-token' };
      const got = await t.hutctl(
        [
          'artifact',
          'get',
          sha,
          '--profile',
          'i2s',
          '--from-github',
          'sle/squeezelite-esp32',
          '--to',
          join(t.dir, 'gh'),
          '--json',
        ],
        { env },
      );
      assert.equal(got.code, 0, got.stderr);
      const manifest = JSON.parse(got.stdout);
      assert.equal(manifest.lane, 'upstream (GitHub run 8)');
      assert.deepEqual(manifest.files.map((f: { name: string }) => f.name).sort(), gh.files);
      assert.deepEqual(new Uint8Array(readFileSync(join(t.dir, 'gh', 'squeezelite.bin'))), app);
      assert.equal(manifest.app.version, 'v4.0.0-gh');
      // Stored by SHA, it flashes and boots like a local build.
      const ran = await t.hutctl(['hil', 'run', '--sha', sha, '--slot', 'hut-01', '--json']);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(JSON.parse(ran.stdout).app_version, 'v4.0.0-gh');
      // The download was redirected to storage on another origin, which never saw the token.
      assert.ok(github.storageAuthorization.length > 0);
      assert.ok(github.storageAuthorization.every((header) => header === undefined));
      // Without --json it says what it is doing: the lookup, the download and its size.
      const told = await t.hutctl(
        ['artifact', 'get', sha, '--profile', 'i2s', '--from-github', 'sle/squeezelite-esp32'],
        { env },
      );
      assert.equal(told.code, 0, told.stderr);
      assert.match(told.stderr, /looking for a successful workflow run of sle\/squeezelite-esp32/);
      assert.match(told.stderr, /run 8: downloading firmware-c0ffee\w+-i2s \(\d+(\.\d)? (B|KiB)\)/);
      const denied = await t.hutctl(
        ['artifact', 'get', sha, '--profile', 'i2s', '--from-github', 'sle/squeezelite-esp32'],
        { env: { ...env, GITHUB_TOKEN: 'wrong' } },
      );
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /GitHub 401 .*Bad credentials/);
      const none = await t.hutctl(
        [
          'artifact',
          'get',
          'abcdef1',
          '--profile',
          'i2s',
          '--from-github',
          'sle/squeezelite-esp32',
        ],
        { env },
      );
      assert.match(none.stderr, /no successful workflow run of sle\/squeezelite-esp32 for abcdef1/);
    } finally {
      await github.close();
    }
  });
});

describe('recording outcomes in the team documents', () => {
  test('surface --update-docs adds one handoff entry and the slot rows, and changes nothing else', async () => {
    const { cpSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const reference = fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url));
    const repo = join(t.dir, 'squeezelite');
    cpSync(reference, repo, { recursive: true });
    const logPath = join(repo, 'documentation/short-term/coordination/handoff_log.md');
    const goalPath = join(
      repo,
      'documentation/short-term/active/GOAL-002-hut-surface-first-test.md',
    );
    const logBefore = readFileSync(logPath, 'utf8').split('\n');
    const goalBefore = readFileSync(goalPath, 'utf8').split('\n');
    // The team's lint ratchet, taken before: the entries hutctl writes must not add a finding.
    const lint = (...args: string[]) => t.hutctl(['lint', 'docs', '--docs', repo, ...args]);
    assert.equal((await lint('--update-baseline')).code, 0);
    const r = await t.hutctl(['hil', 'surface', '--sha', SHA, '--update-docs', '--docs', repo]);
    assert.equal(r.code, 0, r.stderr);
    const linted = await lint();
    assert.equal(linted.code, 0, `lint docs after --update-docs: ${linted.stdout}${linted.stderr}`);
    const logAfter = readFileSync(logPath, 'utf8').split('\n');
    assert.equal(logAfter.length, logBefore.length + 1);
    const at = logBefore.findIndex((l) => l.trim() === 'Entries:') + 3;
    assert.deepEqual(
      [...logAfter.slice(0, at), ...logAfter.slice(at + 1)],
      logBefore,
      'every other line is byte-identical',
    );
    const entry = logAfter[at]!.split(' | ');
    assert.equal(entry.length, 9);
    assert.deepEqual(entry.slice(1, 6), [
      'runner:hutctl',
      'GOAL-002/WS3',
      'runner-live',
      'execute',
      'no',
    ]);
    assert.match(
      entry[6]!,
      /^executor=ssh_direct HW-BOOT-001 surfacing for `a1b2c3d4e5f6` on lane local-hil: hut-01 pass, hut-02 pass, hut-03 pass/,
    );
    const goalAfter = readFileSync(goalPath, 'utf8').split('\n');
    const header = goalAfter.findIndex((l) => l.startsWith('| Slot ID |'));
    assert.match(
      goalAfter[header + 2]!,
      /^\| hut-01 \| `.*SIM0001-if00-port0` \| i2s \| pass \| HW-BOOT-001 `a1b2c3d4e5f6`/,
    );
    assert.match(goalAfter[header + 4]!, /^\| hut-03 \|/);
    assert.equal(
      goalAfter.length,
      goalBefore.length + 2,
      'the pending placeholder became three slot rows',
    );
    assert.deepEqual(goalAfter.slice(0, header + 1), goalBefore.slice(0, header + 1));
    assert.equal(goalAfter[header + 1], '| --- | --- | --- | --- | --- |', 'the compact style');
    assert.deepEqual(goalAfter.slice(header + 5), goalBefore.slice(header + 3));

    // GOAL-002 WS4: the worklist and the hardware matrix show the same slot-level reality.
    const worklist = readFileSync(
      join(repo, 'documentation/agents/integration_test_worklist.md'),
      'utf8',
    );
    assert.match(
      worklist,
      /^\| HW-BOOT-001 \| P0 \| done \| Cold boot to operational state \| all \| - \| \d{4}-\d{2}-\d{2} \| `runner_hil_hw-boot-001_hut-01_[^`]+`, `runner_hil_hw-boot-001_hut-02_[^`]+`, `runner_hil_hw-boot-001_hut-03_[^`]+` \| Context: HW-BOOT-001 surfaced by hutctl for `a1b2c3d4e5f6`.*Done: hut-01 pass, hut-02 pass, hut-03 pass\./m,
    );
    assert.match(
      worklist,
      /Append-only, newest first\.\n\n\| Date \| Agent \| Item ID \| Change \| Evidence \|\n\|---\|---\|---\|---\|---\|\n\| \d{4}-\d{2}-\d{2} \| runner:hutctl \| HW-BOOT-001 \| surfaced on 3 slot\(s\)/,
    );
    const matrix = readFileSync(join(repo, 'documentation/HARDWARE_TEST_MATRIX.md'), 'utf8');
    const coverage = matrix.split('\n').filter((l) => /^\| hut-0\d \|/.test(l));
    assert.deepEqual(
      coverage.map((l) => l.split(' | ').slice(0, 4).join(' | ')),
      [
        '| hut-01 | i2s | HW-BOOT-001 | pass',
        '| hut-02 | muse | HW-BOOT-001 | pass',
        '| hut-03 | squeezeamp | HW-BOOT-001 | pass',
      ],
    );
    assert.ok(matrix.indexOf('## Slot Coverage') < matrix.indexOf('## Platform-Specific Focus'));

    // Each edit is in the ledger, as the agent of the entry, with the commit it records.
    const edits = JSON.parse((await t.hutctl(['docs', 'history', '--json'])).stdout) as Array<
      Record<string, unknown>
    >;
    const surfaced = edits.filter((e) => e.command === 'hil surface --update-docs');
    assert.deepEqual(surfaced.map((e) => e.edit).sort(), [
      'board-date',
      'handoff-entry',
      'inventory',
      'tracker',
      'tracker',
    ]);
    for (const e of surfaced) {
      assert.equal(e.by_agent, 'runner:hutctl');
      assert.equal(e.commit_sha, SHA);
    }
    // The baseline the lint ratchet wrote is an edit too, made by the person running hutctl.
    assert.ok(edits.some((e) => e.edit === 'lint-baseline' && /@/.test(String(e.by_agent))));
  });
});
