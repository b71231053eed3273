/**
 * A target with `known_hosts` (as `vm create` writes it): ssh checks the host key strictly against
 * that file only — a pinned key connects, an unknown host or a changed key is refused with what to
 * do, never accepted on first sight.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir, workspace } from '../support/cli.ts';
import { transportTargets } from '../support/sshd.ts';

const targets = transportTargets();

function pinned(line: string) {
  const sshd = targets.sshd();
  const file = join(tempDir(), 'known_hosts');
  writeFileSync(file, line);
  const yaml = [
    '  runner:',
    '    transport: ssh',
    '    host: 127.0.0.1',
    `    port: ${sshd.port}`,
    `    user: ${sshd.user}`,
    `    identity_file: ${sshd.identityFile}`,
    `    known_hosts: ${file}`,
  ].join('\n');
  return { sshd, dir: workspace(yaml), file };
}

test('the pinned key connects; the file is not added to', async () => {
  const probe = targets.sshd();
  const key = readFileSync(join(probe.dir, 'host_ed25519.pub'), 'utf8')
    .trim()
    .split(' ')
    .slice(0, 2)
    .join(' ');
  const { dir, file } = pinned(`[127.0.0.1]:${probe.port} ${key}\n`);
  const before = readFileSync(file, 'utf8');
  const r = await runCli(['heartbeat', 'runner', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(file, 'utf8'), before);
});

test('a host not yet pinned is refused with how to pin it, and nothing is learned', async () => {
  const { dir, file } = pinned('');
  const r = await runCli(['heartbeat', 'runner'], { cwd: dir });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /the host's key is not known yet/);
  assert.match(r.stderr, /hutctl vm create <name>/);
  assert.equal(readFileSync(file, 'utf8'), '', 'never accept-new');
});

test('a key that changed since it was pinned is refused as such', async () => {
  const probe = targets.sshd();
  const { dir } = pinned(
    `[127.0.0.1]:${probe.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHutctlDoubleHostKeyForTheRunnerVm0000000000\n`,
  );
  const r = await runCli(['heartbeat', 'runner'], { cwd: dir });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /the host's key is not the one pinned for it/);
});
