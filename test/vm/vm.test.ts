/**
 * `hutctl vm` against the LXD double (VMs cannot run here): create as apis.md measured it —
 * create, start, wait for the agent and address, cloud-init, host key — the target written into
 * hutctl.yaml in place, idempotency and key-by-key differences, USB by api_extensions, delete.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCli, tempDir } from '../support/cli.ts';
import { INCUS_6_EXTENSIONS, LXD_502_EXTENSIONS, LxdDouble } from '../support/lxd-double.ts';

interface InstanceBody {
  type: string;
  source: unknown;
  start?: boolean;
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5Zm9ydGhlcnVubmVydXNlcg runner@arch';

function farm(usb: string) {
  const dir = tempDir('hutctl-vm-');
  writeFileSync(join(dir, 'runner_ed25519.pub'), `${KEY}\n`);
  const config = join(dir, 'hutctl.yaml');
  const text = [
    '# the infra host',
    'targets:',
    '  arch: {transport: local}',
    'paths:',
    `  evidence_dir: ${dir}/evidence`,
    `  state_dir: ${dir}/state`,
    'vms:',
    '  hil-runner:',
    '    cpu: 2',
    '    memory: 4GiB',
    `    ssh_public_key: ${dir}/runner_ed25519.pub`,
    `    usb: ${usb}`,
    '',
  ].join('\n');
  writeFileSync(config, text);
  return { dir, config, text };
}

const run = (double: LxdDouble, config: string, ...args: string[]) =>
  runCli(args, { env: { HUTCTL_CONFIG: config, LXD_SOCKET: double.socket } });

test('create on a 5.0.2-like server: created, started, ready, host key pinned, runner target written in place; again: unchanged', async (t) => {
  const double = await LxdDouble.start({ agentPolls: 3 });
  t.after(() => double.close());
  const f = farm(
    '{hut-01: {vendor: 10c4, product: ea60, serial: a4c1d2}, hut-02: {vendor: 1a86, product: "7523"}}',
  );
  const r = await run(double, f.config, 'vm', 'create', 'hil-runner', '--json');
  assert.equal(r.code, 0, r.stderr);
  const created = JSON.parse(r.stdout);
  assert.deepEqual(
    [created.action, created.address, created.target],
    ['created', '10.87.0.23', 'runner'],
  );
  assert.match(
    r.stderr,
    /waiting for hil-runner's agent and address\n.*is up at 10\.87\.0\.23; waiting for cloud-init/s,
  );
  // What the server was asked: a VM from the Ubuntu 24.04 image, no `start` and no USB serial
  // (5.0.2 has neither extension), then a start of its own.
  const post = double.calls.find((c) => c.call === 'POST /1.0/instances')!.body as InstanceBody;
  assert.deepEqual(post.source, {
    type: 'image',
    alias: '24.04',
    server: 'https://cloud-images.ubuntu.com/releases',
    protocol: 'simplestreams',
  });
  assert.equal(post.type, 'virtual-machine');
  assert.equal(post.start, undefined);
  assert.deepEqual(post.devices['usb-hut-01'], {
    type: 'usb',
    vendorid: '10c4',
    productid: 'ea60',
    required: 'false',
  });
  assert.deepEqual(
    [post.config['limits.cpu'], post.config['limits.memory'], post.devices.root?.size],
    ['2', '4GiB', '40GiB'],
  );
  const userData = parse(post.config['cloud-init.user-data'] ?? '');
  assert.deepEqual(userData.users[1].ssh_authorized_keys, [KEY]);
  assert.ok(
    ['git', 'openssh-server', 'curl', 'jq', 'python3', 'python3-pip', 'docker.io'].every((p) =>
      userData.packages.includes(p),
    ),
  );
  assert.ok(double.calls.some((c) => c.call === 'PUT /1.0/instances/hil-runner/state'));
  // The host key, read through the API, pinned; the target written without touching other lines.
  assert.equal(
    readFileSync(created.known_hosts, 'utf8'),
    '10.87.0.23 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHutctlDoubleHostKeyForTheRunnerVm0000000000\n',
  );
  const after = readFileSync(f.config, 'utf8');
  assert.ok(
    after.startsWith(
      '# the infra host\ntargets:\n  arch: {transport: local}\n  runner:\n    transport: ssh\n    host: 10.87.0.23\n    user: runner\n',
    ),
    after,
  );
  assert.equal(after.replace(/ {2}runner:\n( {4}.*\n)+/, ''), f.text);
  assert.deepEqual(parse(after).targets.runner.known_hosts, created.known_hosts);
  const evidence = readFileSync(created.evidence, 'utf8');
  assert.match(created.evidence, /\/evidence\/infra_vm_hil-runner_\d{8}_\d{6}_utc\.log$/);
  assert.match(
    evidence,
    /usb hut-01: 10c4:ea60 \(usb-hut-01\)\nusb hut-02: 1a86:7523 \(usb-hut-02\)/,
  );
  const status = JSON.parse(
    (await run(double, f.config, 'vm', 'status', 'hil-runner', '--json')).stdout,
  );
  assert.deepEqual(
    [status.status, status.agent, status.addresses[0].address, status.usb_missing],
    ['Running', true, '10.87.0.23', []],
  );

  const posts = double.calls.filter((c) => c.call === 'POST /1.0/instances').length;
  const again = await run(double, f.config, 'vm', 'create', 'hil-runner');
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stdout,
    /^hil-runner: unchanged on lxd 5\.0\.2, ready at 10\.87\.0\.23; .* target runner already in /,
  );
  assert.equal(
    double.calls.filter((c) => c.call === 'POST /1.0/instances').length,
    posts,
    'nothing created twice',
  );
  assert.equal(readFileSync(f.config, 'utf8'), after);
});

test('a hutctl.yaml with CRLF line endings keeps them: the target lines are CRLF too, the rest byte for byte, replaced atomically with its mode', async (t) => {
  const double = await LxdDouble.start();
  t.after(() => double.close());
  const f = farm('{hut-01: {vendor: 10c4, product: ea60}}');
  const crlf = f.text.replaceAll('\n', '\r\n');
  writeFileSync(f.config, crlf);
  chmodSync(f.config, 0o600);
  const before = statSync(f.config);
  const r = await run(double, f.config, 'vm', 'create', 'hil-runner');
  assert.equal(r.code, 0, r.stderr);
  const after = readFileSync(f.config, 'utf8');
  assert.doesNotMatch(after, /[^\r]\n/, 'no line ends in a bare LF');
  assert.equal(after.replace(/ {2}runner:\r\n( {4}.*\r\n)+/, ''), crlf);
  assert.equal(parse(after).targets.runner.host, '10.87.0.23');
  const stat = statSync(f.config);
  assert.notEqual(
    stat.ino,
    before.ino,
    'a new file renamed over the old one, never rewritten in place',
  );
  assert.equal(stat.mode & 0o777, 0o600);
  assert.deepEqual(
    readdirSync(f.dir).filter((n) => n.startsWith('.')),
    [],
    'no temp file left beside it',
  );
});

test('an existing VM that differs is reported key by key and left alone', async (t) => {
  const double = await LxdDouble.start();
  t.after(() => double.close());
  const f = farm('{hut-01: {vendor: 10c4, product: ea60}}');
  assert.equal((await run(double, f.config, 'vm', 'create', 'hil-runner')).code, 0);
  writeFileSync(f.config, readFileSync(f.config, 'utf8').replace('cpu: 2', 'cpu: 8'));
  const before = readFileSync(f.config, 'utf8');
  const r = await run(double, f.config, 'vm', 'create', 'hil-runner');
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr.split('\n')[0],
    'hutctl: hil-runner exists on lxd and differs from hutctl.yaml: limits.cpu: "2" on the server, "8" in hutctl.yaml; nothing was changed',
  );
  assert.equal(readFileSync(f.config, 'utf8'), before);
  assert.equal(double.instances.get('hil-runner')!.config['limits.cpu'], '2');
});

test('two identical boards: refused without device_usb_serial; passed by serial where the server has it (and started by create)', async (t) => {
  const usb =
    '{hut-01: {vendor: 10c4, product: ea60, serial: A1}, hut-02: {vendor: 10c4, product: ea60, serial: B2}}';
  const old = await LxdDouble.start();
  t.after(() => old.close());
  const f = farm(usb);
  const r = await run(old, f.config, 'vm', 'create', 'hil-runner');
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /slots hut-01 and hut-02 are both 10c4:ea60, and lxd 5\.0\.2 has no device_usb_serial, so both boards would go to the VM; nothing was created/,
  );
  assert.equal(old.instances.size, 0);
  const incus = await LxdDouble.start({ extensions: INCUS_6_EXTENSIONS, server: 'incus' });
  t.after(() => incus.close());
  const ok = await run(incus, f.config, 'vm', 'create', 'hil-runner', '--json');
  assert.equal(ok.code, 0, ok.stderr);
  const post = incus.calls.find((c) => c.call === 'POST /1.0/instances')!.body as InstanceBody;
  assert.equal(post.start, true);
  assert.deepEqual(
    [post.devices['usb-hut-01']?.serial, post.devices['usb-hut-02']?.serial],
    ['A1', 'B2'],
  );
  assert.ok(
    !incus.calls.some((c) => c.call === 'PUT /1.0/instances/hil-runner/state'),
    'started by the create itself',
  );
});

test('usb detach and attach move one board; delete refuses a running VM without --force', async (t) => {
  const double = await LxdDouble.start();
  t.after(() => double.close());
  const f = farm(
    '{hut-01: {vendor: 10c4, product: ea60}, hut-02: {vendor: 1a86, product: "7523"}}',
  );
  assert.equal((await run(double, f.config, 'vm', 'create', 'hil-runner')).code, 0);
  const detached = await run(double, f.config, 'vm', 'usb', 'detach', 'hil-runner', 'hut-02');
  assert.equal(detached.stdout, 'hil-runner: hut-02 detached; USB now hut-01\n');
  const status = JSON.parse((await run(double, f.config, 'vm', 'status', '--json')).stdout)[0];
  assert.deepEqual(status.usb_missing, ['hut-02']);
  assert.equal(
    (await run(double, f.config, 'vm', 'usb', 'attach', 'hil-runner', 'hut-02')).code,
    0,
  );
  assert.deepEqual(
    Object.keys(double.instances.get('hil-runner')!.devices).filter((d) => d.startsWith('usb-')),
    ['usb-hut-01', 'usb-hut-02'],
  );
  const unknown = await run(double, f.config, 'vm', 'usb', 'attach', 'hil-runner', 'hut-09');
  assert.equal(unknown.code, 2);
  const refused = await run(double, f.config, 'vm', 'delete', 'hil-runner');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^hutctl: hil-runner is running; nothing was deleted\n/);
  assert.equal(
    (await run(double, f.config, 'vm', 'delete', 'hil-runner', '--force')).stdout,
    'hil-runner: deleted\n',
  );
  assert.equal(double.instances.size, 0);
  assert.equal(
    (await run(double, f.config, 'vm', 'delete', 'hil-runner')).stdout,
    'hil-runner: not there (nothing to delete)\n',
  );
});

test('a cloud-init that failed, a daemon that is not there, a VM not in hutctl.yaml: one line each', async (t) => {
  const double = await LxdDouble.start({ cloudInitExit: 1 });
  t.after(() => double.close());
  const f = farm('{}');
  const failed = await run(double, f.config, 'vm', 'create', 'hil-runner');
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /\nhutctl: cloud-init on hil-runner failed \(exit 1\): status: error\n {2}read it there: /,
  );
  assert.doesNotMatch(
    readFileSync(f.config, 'utf8'),
    /^ {2}runner:/m,
    'no target for a VM that is not ready',
  );
  const gone = await runCli(['vm', 'status', 'hil-runner'], {
    env: { HUTCTL_CONFIG: f.config, LXD_SOCKET: join(f.dir, 'nothing.socket') },
  });
  assert.equal(gone.code, 255);
  assert.match(gone.stderr, /^hutctl: LXD at .*nothing\.socket: GET \/1\.0: /);
  const unknown = await run(double, f.config, 'vm', 'create', 'other');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^hutctl: no VM 'other' in hutctl.yaml\n/);
});

test('a cloud-init that failed: the evidence log says what failed and how far the VM got; the advice names no target that is not written', async (t) => {
  const double = await LxdDouble.start({ cloudInitExit: 1 });
  t.after(() => double.close());
  const f = farm('{hut-01: {vendor: 10c4, product: ea60}}');
  const failed = await run(double, f.config, 'vm', 'create', 'hil-runner');
  assert.equal(failed.code, 1);
  const [message, hint] = failed.stderr.trimEnd().split('\n').slice(-2);
  assert.equal(message, 'hutctl: cloud-init on hil-runner failed (exit 1): status: error');
  assert.doesNotMatch(hint!, /hutctl exec runner/, 'there is no runner target yet');
  assert.match(
    hint!,
    /^ {2}read it there: lxc exec hil-runner -- cloud-init status --long; then hutctl vm create hil-runner again \(it resumes; target runner is written once the VM is ready\); evidence: (\S+\/evidence\/infra_vm_hil-runner_\d{8}_\d{6}_utc\.log)$/,
  );
  const evidence = /evidence: (\S+)$/.exec(hint!)![1]!;
  assert.equal(
    readFileSync(evidence, 'utf8'),
    [
      '# hutctl vm create hil-runner: created on lxd 5.0.2, not ready',
      'image 24.04 (https://cloud-images.ubuntu.com/releases); 2 CPU, 4GiB memory, 40GiB disk, pool default, network lxdbr0',
      'address 10.87.0.23; user runner',
      'usb hut-01: 10c4:ea60 (usb-hut-01)',
      'cloud-init: exit 1',
      'failed: cloud-init on hil-runner failed (exit 1): status: error',
      `target runner: not written to ${f.config}; host key not pinned`,
      '',
    ].join('\n'),
  );
  assert.equal(readFileSync(f.config, 'utf8'), f.text, 'hutctl.yaml unchanged');
});

test('refused before anything is created: a bare-number USB id, one board as two slots, a flow-style targets map, an unknown VM', async (t) => {
  const double = await LxdDouble.start({ extensions: INCUS_6_EXTENSIONS, server: 'incus' });
  t.after(() => double.close());
  const numeric = farm('{hut-01: {vendor: 10c4, product: 7523}}');
  const n = await run(double, numeric.config, 'vm', 'create', 'hil-runner');
  assert.notEqual(n.code, 0);
  assert.match(n.stderr, /vms\.hil-runner\.usb\.hut-01\.product: a USB id in quotes/);
  const twins = farm(
    '{hut-01: {vendor: 10c4, product: ea60, serial: S1}, hut-02: {vendor: 10c4, product: ea60, serial: S1}}',
  );
  const tw = await run(double, twins.config, 'vm', 'create', 'hil-runner');
  assert.equal(tw.code, 2);
  assert.match(
    tw.stderr,
    /slots hut-01 and hut-02 are both 10c4:ea60 serial S1: one board cannot be two slots/,
  );
  const flow = farm('{}');
  writeFileSync(
    flow.config,
    readFileSync(flow.config, 'utf8').replace(
      'targets:\n  arch: {transport: local}\n',
      'targets: {arch: {transport: local}}\n',
    ),
  );
  const fl = await run(double, flow.config, 'vm', 'create', 'hil-runner');
  assert.equal(fl.code, 1);
  assert.match(fl.stderr, /targets is not a block map/);
  assert.equal(double.instances.size, 0, 'nothing was created');
  const unknown = await run(double, flow.config, 'vm', 'status', 'nope');
  assert.equal(unknown.code, 2);
});

test('a public key file that is a FIFO, a device, a directory, huge or a link loop: one line, exit 2, nothing asked of LXD, hutctl.yaml as it was', async (t) => {
  const double = await LxdDouble.start();
  t.after(() => double.close());
  const f = farm('{}');
  const fifo = join(f.dir, 'fifo.pub');
  execFileSync('mkfifo', [fifo]);
  const directory = join(f.dir, 'dir.pub');
  mkdirSync(directory);
  const huge = join(f.dir, 'huge.pub');
  writeFileSync(huge, `${KEY} ${'x'.repeat(16 * 1024)}\n`);
  const loop = join(f.dir, 'loop.pub');
  symlinkSync(loop, loop);
  const cases: Array<[string, string]> = [
    [fifo, 'not a regular file'],
    ['/dev/zero', 'not a regular file'],
    [directory, 'it is a directory'],
    [huge, '16.1 KiB is more than the 8.0 KiB such a file may have'],
    [loop, 'too many levels of symbolic links (a loop)'],
  ];
  for (const [file, reason] of cases) {
    const text = f.text.replace(`${f.dir}/runner_ed25519.pub`, file);
    writeFileSync(f.config, text);
    const r = await runCli(['vm', 'create', 'hil-runner'], {
      env: { HUTCTL_CONFIG: f.config, LXD_SOCKET: double.socket },
      killAfterMs: 20_000,
    });
    assert.equal(r.signal, null, `waited on ${file}`);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `hutctl: ${f.config}: the runner user's public key ${file} cannot be read: ${reason}\n  vms.hil-runner.ssh_public_key must name the plain .pub file ssh-keygen made\n`,
    );
    assert.equal(readFileSync(f.config, 'utf8'), text, 'hutctl.yaml was changed');
    assert.equal(double.instances.size, 0);
    assert.equal(existsSync(join(f.dir, 'evidence')), false, 'an evidence directory was made');
  }
  assert.deepEqual(double.calls, [], 'LXD was asked something');
});

test('a public key file that holds no key: one line naming it and vms.<name>.ssh_public_key, exit 2, nothing made', async (t) => {
  const double = await LxdDouble.start();
  t.after(() => double.close());
  const f = farm('{}');
  const key = join(f.dir, 'runner_ed25519.pub');
  for (const content of ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n', '', 'ssh-ed25519\n']) {
    writeFileSync(key, content);
    const r = await runCli(['vm', 'create', 'hil-runner'], {
      env: { HUTCTL_CONFIG: f.config, LXD_SOCKET: double.socket },
      killAfterMs: 20_000,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `hutctl: ${f.config}: the runner user's public key ${key} is not an SSH public key (one line: <type> <base64> [comment])\n  vms.hil-runner.ssh_public_key must name the plain .pub file ssh-keygen made\n`,
    );
    assert.equal(readFileSync(f.config, 'utf8'), f.text, 'hutctl.yaml was changed');
    assert.equal(existsSync(join(f.dir, 'evidence')), false, 'an evidence directory was made');
  }
  assert.deepEqual(double.calls, [], 'LXD was asked something');
});

test('config check: an instance type LXD does not name, an image server that is neither https nor local', async () => {
  const dir = tempDir('hutctl-vm-');
  const config = join(dir, 'hutctl.yaml');
  writeFileSync(
    config,
    [
      'vms:',
      '  r1:',
      '    type: vm',
      '    image_server: http://images.example',
      '  r2:',
      '    type: Container',
      '    image_server: locally',
      '  r3:',
      '    type: container',
      '    image_server: local',
      '',
    ].join('\n'),
  );
  const r = await runCli(['config', 'check'], { env: { HUTCTL_CONFIG: config } });
  assert.equal(r.code, 1);
  const server = "an https URL of a simplestreams server, or 'local' (an alias on the server)";
  const type = 'virtual-machine (the default) or container, as LXD spells them';
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    `error: ${config}:3:11: vms.r1.type: ${type}`,
    `error: ${config}:4:19: vms.r1.image_server: ${server}`,
    `error: ${config}:6:11: vms.r2.type: ${type}`,
    `error: ${config}:7:19: vms.r2.image_server: ${server}`,
  ]);
});

test('type: container asks for a container — no VM-only keys, each board a unix-hotplug tty — and is refused where the server has no unix_hotplug_devices', async (t) => {
  const double = await LxdDouble.start();
  t.after(() => double.close());
  const f = farm('{hut-01: {vendor: 10c4, product: ea60, serial: a4c1d2}}');
  writeFileSync(
    f.config,
    f.text.replace('    cpu: 2\n', '    type: container\n    image_server: local\n    cpu: 2\n'),
  );
  const r = await run(double, f.config, 'vm', 'create', 'hil-runner', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).type, 'container');
  const post = double.calls.find((c) => c.call === 'POST /1.0/instances')!.body as InstanceBody;
  assert.equal(post.type, 'container');
  assert.deepEqual(post.source, { type: 'image', alias: '24.04' });
  assert.equal(post.config['security.secureboot'], undefined);
  assert.deepEqual(post.devices['usb-hut-01'], {
    type: 'unix-hotplug',
    vendorid: '10c4',
    productid: 'ea60',
    gid: '20',
    required: 'false',
  });
  const old = await LxdDouble.start({
    extensions: LXD_502_EXTENSIONS.filter((e) => e !== 'unix_hotplug_devices'),
  });
  t.after(() => old.close());
  const refused = await run(old, f.config, 'vm', 'create', 'hil-runner');
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /: lxd 5\.0\.2 has no unix_hotplug_devices, which a container's boards need; nothing was created\n/,
  );
  assert.equal(old.instances.size, 0);
});
