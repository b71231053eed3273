/**
 * Where a step's output goes: its stdout to hutctl's stdout and its stderr to hutctl's stderr,
 * live, both into the log in the order they came, redacted everywhere; run once per way a step
 * is started (the keeper, the wrapper without it, SSH), for `job run` and `slot run`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { finished, invocation, startCli, waitFor, workspace } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';
import { transportTargets } from '../support/sshd.ts';

const targets = transportTargets();
const WAYS = {
  'local, with the keeper': { target: targets.local, env: {} },
  'local, without the keeper': { target: targets.local, env: { HUTCTL_KEEPER: 'off' } },
  ssh: { target: targets.ssh, env: {} },
};

function logOf(dir: string): string {
  const name = readdirSync(join(dir, 'evidence')).find((n) => n.endsWith('.log'))!;
  return readFileSync(join(dir, 'evidence', name), 'utf8');
}

/** Runs `hutctl job run` of one step in `dir` until it ends; `whileRunning` sees it live. */
async function jobRun(
  dir: string,
  step: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
  whileRunning?: (seen: { stdout: () => string; stderr: () => string }) => Promise<void>,
) {
  const file = join(dir, 'job.json');
  writeFileSync(file, invocation({ command: [step], workdir: dir }));
  const child = startCli(['job', 'run', ...(options.args ?? []), file], {
    cwd: dir,
    ...(options.env ? { env: options.env } : {}),
  });
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const done = finished(child);
  await whileRunning?.({ stdout: () => stdout, stderr: () => stderr });
  const result = await done;
  return { ...result, stdout, stderr };
}

// Lines a step writes one after another, with a pause between them so their order is known.
const INTERLEAVED =
  'echo out-1; sleep 0.2; echo err-1 >&2; sleep 0.2; echo out-2; sleep 0.2; echo err-2 >&2';

for (const [way, { target, env }] of Object.entries(WAYS)) {
  describe(`job run, ${way}`, () => {
    test("the step's stdout goes to stdout and its stderr to stderr, live; the log has both in order", async () => {
      const dir = workspace(target());
      const go = join(dir, 'go');
      const step = `echo out-1; sleep 0.2; echo err-1 >&2; while [ ! -e ${go} ]; do sleep 0.05; done; sleep 0.2; echo out-2; sleep 0.2; echo err-2 >&2`;
      const result = await jobRun(dir, step, { env }, async (seen) => {
        // Both first lines show while the step is still waiting: the output is live.
        await waitFor(
          () => /out-1\n/.test(seen.stdout()) && /err-1\n/.test(seen.stderr()),
          `out-1 on stdout and err-1 on stderr while the step runs (stdout ${JSON.stringify(seen.stdout())}, stderr ${JSON.stringify(seen.stderr())})`,
        );
        writeFileSync(go, '');
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'out-1\nout-2\n', 'stdout has the step stdout, nothing else');
      assert.doesNotMatch(result.stderr, /^out-/m);
      assert.match(result.stderr, /err-1\n[\s\S]*err-2\n/);
      assert.match(logOf(dir), /\nout-1\nerr-1\nout-2\nerr-2\n/, 'the log keeps the order');
    });

    test('a pause between writes keeps their order in the log, and the exit code is the step’s', async () => {
      const dir = workspace(target());
      const result = await jobRun(dir, `${INTERLEAVED}; exit 3`, { env });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stdout, 'out-1\nout-2\n');
      assert.match(result.stderr, /^(?:hutctl: .*\n)*err-1\nerr-2\nhutctl: failed \(exit 3\)/);
      assert.match(logOf(dir), /\nout-1\nerr-1\nout-2\nerr-2\n/);
    });

    test('a secret is redacted on stdout, on stderr and in the log', async () => {
      const secret = `tok-${Math.floor(Math.random() * 1e9)}-streams`;
      const dir = workspace(target(), 'secrets:\n  env: [HUT_STREAM_TOKEN]');
      // Read from a file by the step, so it reaches a step on any host the same way.
      writeFileSync(join(dir, 'secret.txt'), `${secret}\n`);
      const result = await jobRun(
        dir,
        // The stderr secret comes in two writes, split in its middle.
        `s=$(cat secret.txt); echo "out $s"; printf 'err %s' "$(echo "$s" | cut -c1-7)" >&2; sleep 0.2; echo "$s" | cut -c8- >&2`,
        { env: { ...env, HUT_STREAM_TOKEN: secret } },
      );
      assert.equal(result.code, 0, result.stderr);
      for (const text of [result.stdout, result.stderr, logOf(dir)])
        assert.ok(!text.includes(secret), text);
      assert.equal(result.stdout, 'out [REDACTED]\n');
      assert.match(result.stderr, /\nerr \[REDACTED\]\n/);
      assert.match(logOf(dir), /\nout \[REDACTED\]\nerr \[REDACTED\]\n/);
    });

    test('--json: stdout is one JSON document, the report; the output is in the log', async () => {
      const dir = workspace(target());
      const result = await jobRun(dir, INTERLEAVED, { args: ['--json'], env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).status, 'success');
      assert.doesNotMatch(result.stderr, /^(out|err)-/m);
      assert.match(logOf(dir), /\nout-1\nerr-1\nout-2\nerr-2\n/);
    });
  });
}

describe('slot run', () => {
  let t: TestFarm;
  before(async () => {
    t = await startTestFarm(1);
  });
  after(async () => {
    await t.stop();
  });

  for (const [way, env] of Object.entries<Record<string, string>>({
    'with the keeper': {},
    'without the keeper': { HUTCTL_KEEPER: 'off' },
  })) {
    test(`${way}: stdout to stdout, stderr to stderr, the farm's token redacted on both`, async () => {
      const tokenFile = join(t.dir, 'ha-token');
      const token = readFileSync(tokenFile, 'utf8').trim();
      const result = await t.hutctl(
        [
          'slot',
          'run',
          'hut-01',
          '--',
          'sh',
          '-c',
          `${INTERLEAVED}; echo "t=$(cat "$1")."; echo "t=$(cat "$1")." >&2`,
          'step',
          tokenFile,
        ],
        { env },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'out-1\nout-2\nt=[REDACTED].\n');
      assert.match(result.stderr, /err-1\nerr-2\nt=\[REDACTED\]\.\n/);
      assert.doesNotMatch(result.stderr, /^out-/m);
      assert.ok(!(result.stdout + result.stderr).includes(token));
    });
  }
});
