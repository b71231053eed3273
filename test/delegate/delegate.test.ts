/**
 * Delegation with the real `codex` binary (pinned dev dependency) against a scripted mock
 * Responses API, both inside a network namespace that has only loopback (`unshare -n`).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, tempDir, workspace } from '../support/cli.ts';
import { CODEX, runnerWith, targets } from '../support/codex/runner.ts';

const report = (stdout: string) =>
  JSON.parse(stdout) as Record<string, unknown> & {
    thread_ref: string;
    commands: Array<{ command: string; exit_code: number }>;
  };

describe('delegate to a Codex App Server', {
  skip: existsSync(CODEX) ? false : 'the pinned codex binary is not installed (npm ci installs it)',
}, () => {
  test('a full turn: the command really runs, the final message and thread_ref are reported and indexed', async () => {
    const dir = workspace(runnerWith('local'));
    const result = await runCli(
      [
        'delegate',
        'runner',
        '--prompt',
        'RUN:echo hello-from-runner',
        '--goal',
        'GOAL-001/WS9',
        '--timeout',
        '30',
        '--json',
      ],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const r = report(result.stdout);
    assert.equal(r.status, 'success');
    assert.equal(r.human_summary, 'ran it: hello-from-runner');
    assert.deepEqual(
      r.commands.map((c) => c.exit_code),
      [0],
    );
    assert.match(r.commands[0]!.command, /echo hello-from-runner/);
    const executor = r.executor as { transport: string; target: string };
    assert.deepEqual([executor.transport, executor.target], ['remote_codex', 'runner']);
    assert.match(r.thread_ref, /^[0-9a-f-]{36}$/);
    assert.ok(Number(r.total_tokens_after_turn) > 0);
    assert.equal(r.turn_tokens, 2040, 'two model calls of 1020 tokens each in this turn');
    const log = readFileSync(String(r.log_path), 'utf8');
    assert.match(log, /^> \{"method":"initialize"/m);
    assert.match(log, /^< \{"method":"turn\/completed"/m);
    const threads = JSON.parse(
      (await runCli(['threads', 'list', '--goal', 'GOAL-001/WS9', '--json'], { cwd: dir })).stdout,
    );
    assert.equal(threads[0].thread_ref, r.thread_ref);
    assert.equal(threads[0].last_message, 'ran it: hello-from-runner');
    // The turn's input and output tokens are in the report, and the delegation in the ledger.
    assert.deepEqual([r.turns, r.input_tokens, r.output_tokens], [1, 2000, 40]);
    const history = await runCli(['threads', 'history', '--json'], { cwd: dir });
    assert.equal(history.code, 0, history.stderr);
    const [row] = JSON.parse(history.stdout);
    assert.deepEqual(
      [row.job_id, row.role, row.status, row.thread_ref, row.goal, row.mechanism, row.turns],
      [r.job_id, 'runner', 'success', r.thread_ref, 'GOAL-001/WS9', 'app-server', 1],
    );
    assert.deepEqual([row.tokens_in, row.tokens_out, row.tokens_total], [2000, 40, 2040]);
    assert.equal(row.evidence_path, String(r.log_path).replace(/\.log$/, '.json'));
    const jobs = JSON.parse((await runCli(['job', 'list', '--json'], { cwd: dir })).stdout);
    assert.equal(jobs[0].job_id, r.job_id, 'a delegation is a job too');
  });

  test('a second process resumes the same thread', async () => {
    const dir = workspace(runnerWith('local'));
    const first = report(
      (
        await runCli(
          ['delegate', 'runner', '--prompt', 'first question', '--timeout', '30', '--json'],
          { cwd: dir },
        )
      ).stdout,
    );
    const second = await runCli(
      [
        'delegate',
        'runner',
        '--thread',
        first.thread_ref,
        '--prompt',
        'second question',
        '--timeout',
        '30',
        '--json',
      ],
      { cwd: dir },
    );
    assert.equal(second.code, 0, second.stderr);
    const r = report(second.stdout);
    assert.equal(r.thread_ref, first.thread_ref);
    assert.equal(r.human_summary, 'done: second question');
    assert.equal(
      r.turn_tokens,
      1020,
      "one model call in this turn; the thread's earlier usage is not counted",
    );
    assert.equal(r.total_tokens_after_turn, 2040);
  });

  test('two delegations in parallel keep their own threads and events', async () => {
    const dir = workspace(runnerWith('local'));
    const [a, b] = await Promise.all([
      runCli(['delegate', 'runner', '--prompt', 'RUN:echo alpha', '--timeout', '30', '--json'], {
        cwd: dir,
      }),
      runCli(['delegate', 'runner', '--prompt', 'RUN:echo beta', '--timeout', '30', '--json'], {
        cwd: dir,
      }),
    ]);
    const [ra, rb] = [report(a.stdout), report(b.stdout)];
    assert.equal(ra.human_summary, 'ran it: alpha');
    assert.equal(rb.human_summary, 'ran it: beta');
    assert.notEqual(ra.thread_ref, rb.thread_ref);
  });

  test('approvals are answered by policy and logged: accepted runs, declined does not', async () => {
    const dir = workspace(runnerWith('local'));
    const accepted = report(
      (
        await runCli(
          [
            'delegate',
            'runner',
            '--prompt',
            'RUN:echo approved-run',
            '--approve',
            'accept',
            '--timeout',
            '30',
            '--json',
          ],
          { cwd: dir },
        )
      ).stdout,
    );
    assert.equal(accepted.human_summary, 'ran it: approved-run');
    assert.match(String((accepted.approvals as string[])[0]), /^accept: .*echo approved-run/);
    const declined = report(
      (
        await runCli(
          [
            'delegate',
            'runner',
            '--prompt',
            'RUN:echo must-not-run',
            '--approve',
            'decline',
            '--timeout',
            '30',
            '--json',
          ],
          { cwd: dir },
        )
      ).stdout,
    );
    assert.match(String((declined.approvals as string[])[0]), /^decline: .*echo must-not-run/);
    assert.match(String(declined.human_summary), /rejected by user/);
    assert.match(readFileSync(String(declined.log_path), 'utf8'), /# approval decline: /);
  });

  test('a deadline interrupts the turn: timeout, exit 124, the thread can be resumed', async () => {
    const dir = workspace(runnerWith('local'));
    const started = Date.now();
    const result = await runCli(
      ['delegate', 'runner', '--prompt', 'HANG', '--timeout', '2', '--json'],
      { cwd: dir },
    );
    assert.equal(result.code, 124, result.stderr);
    const r = report(result.stdout);
    assert.equal(r.status, 'timeout');
    assert.match(String(r.human_summary), /interrupted \(thread .* can be resumed\)/);
    assert.ok(Date.now() - started < 15_000);
    const again = await runCli(
      [
        'delegate',
        'runner',
        '--thread',
        r.thread_ref,
        '--prompt',
        'are you back',
        '--timeout',
        '30',
        '--json',
      ],
      { cwd: dir },
    );
    assert.equal(report(again.stdout).status, 'success');
  });

  test('delegate cancel interrupts a running turn: cancelled, exit 130', async () => {
    const dir = workspace(runnerWith('local'));
    const { startCli, finished } = await import('../support/cli.ts');
    const child = startCli(
      [
        'delegate',
        'runner',
        '--prompt',
        'HANG',
        '--job-id',
        'dg-cancel',
        '--timeout',
        '60',
        '--json',
      ],
      { cwd: dir },
    );
    child.stdin!.end();
    const done = finished(child);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await runCli(['delegate', 'cancel', 'dg-cancel'], { cwd: dir })).code, 0);
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    assert.equal(report(result.stdout).status, 'cancelled');
  });

  test('a provider 401 fails with a one-line reason, never a hang', async () => {
    const dir = workspace(runnerWith('local'));
    const result = await runCli(
      ['delegate', 'runner', '--prompt', 'FAIL401', '--timeout', '20', '--json'],
      { cwd: dir },
    );
    assert.equal(result.code, 1);
    assert.match(String(report(result.stdout).human_summary), /401 Unauthorized/);
  });

  test('a missing codex binary on the host is a failure with the reason', async () => {
    const dir = workspace(
      `${targets.local()}\n    codex:\n      command: [/nonexistent/codex, app-server]`,
    );
    const result = await runCli(
      ['delegate', 'runner', '--prompt', 'hi', '--timeout', '10', '--json'],
      { cwd: dir },
    );
    assert.equal(result.code, 1);
    assert.match(
      String(report(result.stdout).human_summary),
      /^Delegation to runner failed: codex is not installed on local: '\/nonexistent\/codex' was not found \(.*\); install the pinned codex there \(npm install -g @openai\/codex@0\.169\.0\)/,
    );
  });

  test('with the team documents: a handoff entry with thread_ref; the transport lock picks the mechanism; break-glass is logged', async () => {
    const { cpSync } = await import('node:fs');
    const repo = join(tempDir(), 'repo');
    cpSync(fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url)), repo, {
      recursive: true,
    });
    const dir = workspace(runnerWith('local'));
    const run = (...args: string[]) =>
      runCli(['delegate', 'runner', '--docs', repo, '--timeout', '30', '--json', ...args], {
        cwd: dir,
      });
    const first = report(
      (await run('--prompt', 'RUN:echo with-docs', '--goal', 'GOAL-001/WS9')).stdout,
    );
    assert.equal(first.mechanism, 'app-server', 'the record is still evaluating: the App Server');
    const log = readFileSync(
      join(repo, 'documentation/short-term/coordination/handoff_log.md'),
      'utf8',
    );
    const entry = log.split('```text\n')[2]!.split('\n')[0]!;
    assert.match(
      entry,
      new RegExp(
        ` \\| arch:codex \\| GOAL-001/WS9 \\| arch-local \\| delegate \\| no \\| executor=remote_codex thread_ref=${first.thread_ref} success: ran it: with-docs`,
      ),
    );
    await runCli(['transport', 'lock', 'ssh', '--docs', repo]);
    const locked = report((await run('--prompt', 'RUN:echo locked-to-ssh')).stdout);
    assert.equal(locked.mechanism, 'exec');
    assert.equal(locked.human_summary, 'ran it: locked-to-ssh');
    const glass = report((await run('--prompt', 'RUN:echo glass', '--break-glass')).stdout);
    assert.equal(glass.break_glass, true);
    assert.match(
      readFileSync(String(glass.log_path), 'utf8'),
      /^# break-glass: codex exec --json on local/m,
    );
    assert.match(String(glass.thread_ref), /^[0-9a-f-]{36}$/);
    // In the ledger: each delegation with the mechanism that ran it, and the handoff entry.
    const ledger = async (...args: string[]) =>
      JSON.parse((await runCli([...args, '--json'], { cwd: dir })).stdout);
    const delegations = (await ledger('threads', 'history')) as Array<Record<string, unknown>>;
    assert.deepEqual(
      delegations.map((d) => `${d.job_id} ${d.mechanism} ${d.turns}`).sort(),
      [`${first.job_id} app-server 1`, `${locked.job_id} exec 1`, `${glass.job_id} exec 1`].sort(),
    );
    const edits = (await ledger('docs', 'history')) as Array<Record<string, unknown>>;
    assert.deepEqual(
      edits.map((e) => [e.document, e.edit, e.by_agent, e.command, e.evidence]),
      [
        [
          'documentation/short-term/coordination/handoff_log.md',
          'handoff-entry',
          'arch:codex',
          'delegate',
          String(first.log_path).replace(/\.log$/, '.json'),
        ],
      ],
    );
  });

  test('an unreachable host fails at once with the diagnosis (report exit_code 255)', async () => {
    const dir = workspace(runnerWith('ssh').replace(/port: \d+/, 'port: 9'));
    const result = await runCli(
      ['delegate', 'runner', '--prompt', 'hi', '--timeout', '30', '--json'],
      { cwd: dir },
    );
    assert.equal(result.code, 1, result.stderr);
    const r = report(result.stdout);
    assert.equal(r.status, 'failed');
    assert.equal(r.exit_code, 255);
    assert.match(String(r.human_summary), /cannot reach runner .*connection refused/);
  });

  test('over SSH through the test sshd', async () => {
    const dir = workspace(runnerWith('ssh'));
    const result = await runCli(
      ['delegate', 'runner', '--prompt', 'RUN:echo over-ssh', '--timeout', '30', '--json'],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(report(result.stdout).human_summary, 'ran it: over-ssh');
  });

  test('an SSH link dropped in the middle of a turn: failed at once with the reason, thread_ref kept', async () => {
    const sshd = targets.sshd();
    const dir = workspace(runnerWith('ssh'));
    const { startCli, finished } = await import('../support/cli.ts');
    const child = startCli(
      ['delegate', 'runner', '--prompt', 'HANG', '--timeout', '60', '--json'],
      { cwd: dir },
    );
    child.stdin!.end();
    const done = finished(child);
    // Once the turn is under way (its start is in the protocol log), the link drops.
    const { waitFor } = await import('../support/cli.ts');
    const { existsSync, readdirSync } = await import('node:fs');
    await waitFor(
      () => {
        if (!existsSync(join(dir, 'evidence'))) return false;
        const logs = readdirSync(join(dir, 'evidence'), { withFileTypes: true }).filter((e) =>
          e.name.endsWith('.log'),
        );
        return logs.some((e) =>
          readFileSync(join(dir, 'evidence', e.name), 'utf8').includes('turn/started'),
        );
      },
      'the turn to start',
      30_000,
    );
    // The server side of every connection goes, as when the link drops.
    const master = readFileSync(join(sshd.dir, 'sshd.pid'), 'utf8').trim();
    const { execFileSync } = await import('node:child_process');
    const sessions = execFileSync('pgrep', ['-P', master], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    assert.ok(sessions.length > 0, 'the turn runs over a live connection');
    for (const pid of sessions) process.kill(Number(pid), 'SIGKILL');
    const started = Date.now();
    const result = await done;
    assert.ok(Date.now() - started < 20_000, 'no wait for the deadline');
    assert.equal(result.code, 1, result.stderr);
    const r = report(result.stdout);
    assert.equal(r.status, 'failed');
    assert.match(r.thread_ref, /^[0-9a-f-]{36}$/);
    assert.match(
      String(r.human_summary),
      /the SSH connection to .*@127\.0\.0\.1:\d+ was lost during the turn \(ssh exit 255/,
    );
    assert.match(String(r.next_action), new RegExp(`resume with --thread ${r.thread_ref}`));
  });

  test('an answer with a Markdown table and --goal: the report is printed and kept, the handoff entry is one safe line', async () => {
    const { cpSync } = await import('node:fs');
    const repo = join(tempDir(), 'repo');
    cpSync(fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url)), repo, {
      recursive: true,
    });
    const dir = workspace(runnerWith('local'));
    const result = await runCli(
      [
        'delegate',
        'runner',
        '--docs',
        repo,
        '--goal',
        'GOAL-002/WS3',
        '--prompt',
        'TABLE',
        '--timeout',
        '30',
        '--json',
      ],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const r = report(result.stdout);
    assert.equal(r.status, 'success');
    assert.match(String(r.human_summary), /\| hut-02 \| fail: `E \(312\) boot: no app` \|/);
    const reportPath = String(r.log_path).replace(/\.log$/, '.json');
    assert.deepEqual(JSON.parse(readFileSync(reportPath, 'utf8')).human_summary, r.human_summary);
    const log = readFileSync(
      join(repo, 'documentation/short-term/coordination/handoff_log.md'),
      'utf8',
    );
    const entry = log.split('\n').find((l) => l.includes(`thread_ref=${r.thread_ref}`))!;
    assert.match(
      entry,
      /\| GOAL-002\/WS3 \| arch-local \| delegate \| no \| executor=remote_codex thread_ref=\S+ success: Checked both boards\. \/ slot \/ result \/ .* \| review; continue with hutctl delegate runner --thread /,
    );
    assert.ok(entry.includes(`report \`${reportPath}\``), entry);
    assert.equal(entry.split(' | ').length, 9, 'nine fields, whatever the answer held');
    const lint = await runCli(['lint', 'docs', '--docs', repo, '--json'], { cwd: dir });
    assert.doesNotMatch(lint.stdout, /handoff_log\.md:\d+.*(field|separator)/);
  });

  test('a resumed thread keeps its goal; the executor says what ran', async () => {
    const dir = workspace(runnerWith('local'));
    const first = report(
      (
        await runCli(
          [
            'delegate',
            'runner',
            '--goal',
            'GOAL-001/WS8',
            '--prompt',
            'one',
            '--timeout',
            '30',
            '--json',
          ],
          { cwd: dir },
        )
      ).stdout,
    );
    const second = report(
      (
        await runCli(
          [
            'delegate',
            'runner',
            '--thread',
            first.thread_ref,
            '--prompt',
            'two',
            '--timeout',
            '30',
            '--json',
          ],
          { cwd: dir },
        )
      ).stdout,
    );
    assert.equal(second.goal, 'GOAL-001/WS8');
    const listed = JSON.parse(
      (await runCli(['threads', 'list', '--goal', 'GOAL-001/WS8', '--json'], { cwd: dir })).stdout,
    );
    assert.deepEqual(
      listed.map((t: { thread_ref: string; last_message: string }) => [
        t.thread_ref,
        t.last_message,
      ]),
      [[first.thread_ref, 'done: two']],
    );
    const executor = second.executor as Record<string, string>;
    assert.equal(executor.transport, 'remote_codex');
    assert.equal(executor.via, 'local');
    assert.equal(executor.codex_version, '0.169.0', 'from the App Server it talked to');
  });

  test("two packets with the same thread_ref= continue one thread, under the packet's goal", async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = workspace(runnerWith('local'));
    const packet = (name: string, ask: string) => {
      const file = join(dir, name);
      writeFileSync(
        file,
        `# GOAL-001 / WS8 Runner Closeout Packet (runner:codex)\n\nthread_ref=WS8-CLOSE-20260213A\n\n${ask}\n`,
      );
      return file;
    };
    const run = async (file: string) => {
      const r = await runCli(
        ['delegate', 'runner', '--packet', file, '--timeout', '30', '--json'],
        { cwd: dir },
      );
      assert.equal(r.code, 0, r.stderr);
      return report(r.stdout);
    };
    const first = await run(packet('GOAL-001_WS8_runner_closeout_packet.md', 'close out'));
    const second = await run(packet('GOAL-001_WS8_runner_closeout_continue_packet.md', 'continue'));
    assert.equal(second.thread_ref, first.thread_ref, 'the second packet resumed the first thread');
    assert.equal(second.goal, 'GOAL-001/WS8');
    const listed = JSON.parse((await runCli(['threads', 'list', '--json'], { cwd: dir })).stdout);
    assert.equal(listed.length, 1, 'one thread, not two');
  });

  test('a provider whose port refuses: failed with that reason, not a wait for the deadline', async () => {
    const dir = workspace(runnerWith('local', 'closed'));
    const result = await runCli(
      ['delegate', 'runner', '--prompt', 'hi', '--timeout', '120', '--json'],
      { cwd: dir },
    );
    assert.equal(result.code, 1, result.stderr);
    const r = report(result.stdout);
    assert.equal(r.status, 'failed', String(r.human_summary));
    assert.match(
      String(r.human_summary),
      /^The model provider could not be reached from local: Connection failed: error sending request .*, 2 attempts in a row; the turn was interrupted/,
    );
  });
});

test('the codex release hutctl names in its advice is the one package.json pins exactly', async () => {
  const { CODEX_PIN } = await import('../../src/delegate/codex.ts');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(pkg.devDependencies['@openai/codex'], CODEX_PIN);
});
