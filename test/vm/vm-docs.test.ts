/** `vm create --docs`: the VM's identity recorded as an infra handoff entry the log accepts. */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, tempDir } from '../support/cli.ts';
import { LxdDouble } from '../support/lxd-double.ts';

test('vm create --docs adds one infra-live execute entry naming the VM, its address, boards and evidence', async (t) => {
  const double = await LxdDouble.start();
  t.after(() => double.close());
  const dir = tempDir('hutctl-vm-docs-');
  writeFileSync(
    join(dir, 'k.pub'),
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5 runner@arch\n',
  );
  const config = join(dir, 'hutctl.yaml');
  writeFileSync(
    config,
    `paths: {evidence_dir: ${dir}/evidence, state_dir: ${dir}/state}\nvms:\n  hil-runner:\n    ssh_public_key: ${dir}/k.pub\n    usb: {hut-01: {vendor: 10c4, product: ea60}}\n`,
  );
  const repo = join(dir, 'repo');
  cpSync(fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url)), repo, {
    recursive: true,
  });
  const log = join(repo, 'documentation/short-term/coordination/handoff_log.md');
  const before = readFileSync(log, 'utf8');
  const r = await runCli(['vm', 'create', 'hil-runner', '--docs', repo, '--json'], {
    env: { HUTCTL_CONFIG: config, LXD_SOCKET: double.socket },
  });
  assert.equal(r.code, 0, r.stderr);
  const created = JSON.parse(r.stdout);
  const after = readFileSync(log, 'utf8');
  const added = after.split('\n').filter((l) => !before.includes(l));
  assert.equal(added.length, 1, added.join('\n'));
  assert.match(
    added[0]!,
    new RegExp(
      `\\| infra:hutctl \\| GOAL-001/WS4 \\| infra-live \\| execute \\| no \\| executor=ssh_direct runner VM hil-runner created on lxd 5\\.0\\.2: 10\\.87\\.0\\.23, USB hut-01; evidence \`${created.evidence}\` \\| hutctl heartbeat runner; then slot scan inside the VM \\|`,
    ),
  );
  const lint = await runCli(['lint', 'docs', '--docs', repo, '--json']);
  assert.ok(
    !JSON.parse(lint.stdout).findings.some(
      (f: { file: string; line: number }) =>
        f.file.endsWith('handoff_log.md') && after.split('\n')[f.line - 1] === added[0],
    ),
    'lint docs accepts the entry',
  );
});
