/** `hutctl exec` and `hutctl heartbeat`, one suite run against every transport. */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli, tempDir, workspace } from '../support/cli.ts';
import { transportTargets } from '../support/sshd.ts';

const targets = transportTargets();
const TRANSPORTS = { local: targets.local, ssh: targets.ssh };

for (const [kind, targetYaml] of Object.entries(TRANSPORTS)) {
  describe(`exec over ${kind}`, () => {
    test('arguments with spaces, quotes, $ and ; arrive intact', async () => {
      const dir = workspace(targetYaml());
      const hostile = [
        'a b',
        `it's "quoted"`,
        '$HOME',
        'x; rm -rf /tmp/nothing',
        '*',
        '',
        'tab\there',
      ];
      const result = await runCli(
        [
          'exec',
          'runner',
          '--',
          'node',
          '-e',
          'console.log(JSON.stringify(process.argv.slice(1)))',
          ...hostile,
        ],
        { cwd: dir },
      );
      assert.equal(result.stderr, '');
      assert.equal(result.code, 0);
      assert.deepEqual(JSON.parse(result.stdout), hostile);
    });

    test("the remote command's exit status is hutctl's", async () => {
      const dir = workspace(targetYaml());
      const result = await runCli(
        ['exec', 'runner', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'],
        { cwd: dir },
      );
      assert.equal(result.code, 7);
      assert.equal(result.stdout, 'out\n');
      assert.equal(result.stderr, 'err\n');
    });

    test('a program that is not there exits 127, one that cannot run 126, as in a shell', async () => {
      const dir = workspace(targetYaml());
      const missing = await runCli(['exec', 'runner', '--', 'no-such-program-hutctl'], {
        cwd: dir,
      });
      assert.equal(missing.code, 127, missing.stderr);
      assert.match(missing.stderr, /no-such-program-hutctl"?: (command )?not found/);
      const notExecutable = join(dir, 'hutctl.yaml');
      const refused = await runCli(['exec', 'runner', '--', notExecutable], { cwd: dir });
      assert.equal(refused.code, 126, refused.stderr);
      assert.match(refused.stderr, /[Pp]ermission denied/);
    });

    test('runs in the given workdir, even one with a space in its name', async () => {
      const dir = workspace(targetYaml());
      const work = join(tempDir(), 'my dir');
      mkdirSync(work);
      const result = await runCli(['exec', 'runner', '--workdir', work, '--', 'pwd'], { cwd: dir });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), work);
    });

    test('heartbeat reports host, user, uptime, disk and load', async () => {
      const dir = workspace(targetYaml());
      const result = await runCli(['heartbeat', 'runner', '--json'], { cwd: dir });
      assert.equal(result.code, 0, result.stderr);
      const beat = JSON.parse(result.stdout);
      assert.equal(beat.target, 'runner');
      assert.equal(beat.transport, kind);
      assert.ok(beat.hostname.length > 0);
      assert.ok(beat.uptime_sec > 0);
      assert.ok(beat.disk.free_bytes > 0 && beat.disk.total_bytes >= beat.disk.free_bytes);
      assert.equal(beat.load.length, 3);
      const human = await runCli(['heartbeat', 'runner'], { cwd: dir });
      assert.match(human.stdout, /^runner: \S+ as \S+, up .+ free on \/, load /);
    });
  });
}

describe('ssh failures', () => {
  test('a closed port exits 255 naming host, port, user, key and the reason', async () => {
    const dir = workspace(
      targets.sshd().targetYaml('runner').replace(`port: ${targets.sshd().port}`, 'port: 9'),
    );
    const result = await runCli(['exec', 'runner', '--', 'true'], { cwd: dir });
    assert.equal(result.code, 255);
    assert.match(
      result.stderr,
      /cannot reach runner \(\S+@127\.0\.0\.1:9, key .+\): connection refused/,
    );
    assert.doesNotMatch(result.stderr, /at .+\.js:\d+/, 'no stack trace');
  });

  test('a key the server does not accept is an authentication failure', async () => {
    const dir = workspace(
      targets
        .sshd()
        .targetYaml('runner')
        .replace(targets.sshd().identityFile, join(targets.sshd().dir, 'host_ed25519')),
    );
    const result = await runCli(['heartbeat', 'runner'], { cwd: dir });
    assert.equal(result.code, 255);
    assert.match(result.stderr, /authentication failed \(publickey\)/);
    assert.match(result.stderr, /authorized_keys/);
  });

  test('a missing remote workdir is reported, not run elsewhere', async () => {
    const dir = workspace(targets.sshd().targetYaml('runner', '    workdir: /nonexistent/dir'));
    const result = await runCli(['exec', 'runner', '--', 'pwd'], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /workdir .*\/nonexistent\/dir.* does not exist/);
  });

  test('an unknown target says how to configure one', async () => {
    const dir = workspace();
    const result = await runCli(['exec', 'infra', '--', 'true'], { cwd: dir });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no target 'infra' is configured/);
    assert.match(result.stderr, /targets:/);
  });
});
