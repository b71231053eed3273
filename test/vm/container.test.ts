/**
 * `hutctl vm` with `type: container` against the real LXD daemon (which runs containers here, not
 * VMs): created from a local busybox image with its board as a unix-hotplug device, ready once it
 * runs with an address (no agent; no cloud-init in that image, and said so), host key pinned,
 * target written; a second create changes nothing; status; a container that differs; delete.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { LxdClient } from '../../src/lxd/client.ts';
import { runCli, tempDir } from '../support/cli.ts';
import { HOST_KEY, lxdUnavailable, type RealLxd, startLxd } from '../support/lxd.ts';

const why = lxdUnavailable();
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5Zm9ydGhlcnVubmVydXNlcg runner@arch';

describe('a runner container on the real LXD daemon', { skip: why ?? false }, () => {
  let lxd: RealLxd;
  let client: LxdClient;
  before(async () => {
    lxd = await startLxd();
    client = new LxdClient(lxd.socket);
  });
  after(() => lxd?.stop());

  function farm(name: string, extra = '') {
    const dir = tempDir('hutctl-vm-ct-');
    writeFileSync(join(dir, 'runner_ed25519.pub'), `${KEY}\n`);
    const config = join(dir, 'hutctl.yaml');
    const text = [
      'targets:',
      '  arch: {transport: local}',
      'paths:',
      `  evidence_dir: ${dir}/evidence`,
      `  state_dir: ${dir}/state`,
      'vms:',
      `  ${name}:`,
      '    type: container',
      `    image: ${lxd.image}`,
      '    image_server: local',
      `    network: ${lxd.network}`,
      '    cpu: 1',
      '    memory: 256MiB',
      '    disk: 1GiB',
      `    ssh_public_key: ${dir}/runner_ed25519.pub`,
      '    usb: {hut-01: {vendor: 10c4, product: ea60}}',
      extra,
    ].join('\n');
    writeFileSync(config, text);
    return { dir, config, text };
  }
  const run = (config: string, ...args: string[]) =>
    runCli(args, { env: { HUTCTL_CONFIG: config, LXD_SOCKET: lxd.socket } });

  test('create: a container, ready at its address, no cloud-init waited for and said so, host key pinned, target written; again: unchanged', async () => {
    const f = farm('runner-ct');
    const r = await run(f.config, 'vm', 'create', 'runner-ct', '--json');
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout);
    assert.deepEqual(
      [created.action, created.type, created.cloud_init, created.host_key],
      ['created', 'container', 'not in the image', HOST_KEY],
    );
    assert.match(created.address, /^10\.87\.0\.\d+$/);
    assert.match(
      r.stderr,
      /creating container runner-ct on lxd 5\.0\.2 \(busybox from the server, 1 CPU, 256MiB, 1GiB, USB hut-01\)\n(.*\n)?.*waiting for runner-ct's address\n.*is up at 10\.87\.0\.\d+; waiting for cloud-init\n.*runner-ct's image busybox has no cloud-init: nothing waited for, and its user-data \(the baseline, user runner and its key\) was not applied\n/,
    );
    const instance = (await client.get('/1.0/instances/runner-ct')) as {
      type: string;
      config: Record<string, string>;
      devices: Record<string, Record<string, string>>;
    };
    assert.equal(instance.type, 'container');
    assert.equal(instance.config['security.secureboot'], undefined, 'a VM-only key, not sent');
    assert.deepEqual(instance.devices['usb-hut-01'], {
      type: 'unix-hotplug',
      vendorid: '10c4',
      productid: 'ea60',
      gid: '20',
      required: 'false',
    });
    assert.equal(readFileSync(created.known_hosts, 'utf8'), `${created.address} ${HOST_KEY}\n`);
    assert.equal(parse(readFileSync(f.config, 'utf8')).targets.runner.host, created.address);
    assert.match(
      readFileSync(created.evidence, 'utf8'),
      /^# hutctl vm create runner-ct: created on lxd 5\.0\.2\ncontainer; image busybox \(local\); 1 CPU, 256MiB memory, 1GiB disk, pool default, network lxdbr0\naddress 10\.87\.0\.\d+; user runner; host key ssh-ed25519 \S+ \(pinned in .*\)\nusb hut-01: 10c4:ea60 \(usb-hut-01\)\ncloud-init: not in the image \(nothing waited for; user-data not applied\)\n/,
    );

    const status = await run(f.config, 'vm', 'status', 'runner-ct');
    assert.equal(
      status.stdout,
      `runner-ct: container, Running, ${created.address}, USB hut-01 — lxd 5.0.2\n`,
    );
    const made = ((await client.get('/1.0/instances/runner-ct')) as { created_at: string })
      .created_at;
    const again = await run(f.config, 'vm', 'create', 'runner-ct');
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      new RegExp(
        `^runner-ct: unchanged on lxd 5\\.0\\.2, ready at ${created.address.replaceAll('.', '\\.')} \\(no cloud-init in its image: user-data not applied\\); .* target runner already in `,
      ),
    );
    assert.equal(
      ((await client.get('/1.0/instances/runner-ct')) as { created_at: string }).created_at,
      made,
      'the same instance, not made again',
    );

    writeFileSync(f.config, readFileSync(f.config, 'utf8').replace('cpu: 1', 'cpu: 2'));
    const differs = await run(f.config, 'vm', 'create', 'runner-ct');
    assert.equal(differs.code, 2);
    assert.equal(
      differs.stderr.split('\n')[0],
      'hutctl: runner-ct exists on lxd and differs from hutctl.yaml: limits.cpu: "1" on the server, "2" in hutctl.yaml; nothing was changed',
    );

    const refused = await run(f.config, 'vm', 'delete', 'runner-ct');
    assert.equal(refused.code, 2);
    assert.equal(
      (await run(f.config, 'vm', 'delete', 'runner-ct', '--force')).stdout,
      'runner-ct: deleted\n',
    );
    assert.equal(await client.find('/1.0/instances/runner-ct'), null);
    assert.equal(
      (await run(f.config, 'vm', 'status', 'runner-ct')).stdout,
      'runner-ct: not created (hutctl vm create runner-ct)\n',
    );
  });

  test('a VM of the same name where a container is: the type differs, nothing changed', async () => {
    const f = farm('runner-ct2');
    assert.equal((await run(f.config, 'vm', 'create', 'runner-ct2')).code, 0);
    writeFileSync(
      f.config,
      readFileSync(f.config, 'utf8').replace('type: container', 'type: virtual-machine'),
    );
    const r = await run(f.config, 'vm', 'create', 'runner-ct2');
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^hutctl: runner-ct2 exists on lxd and differs from hutctl\.yaml: type: "container" on the server, "virtual-machine" in hutctl\.yaml; nothing was changed\n/,
    );
    assert.equal((await run(f.config, 'vm', 'delete', 'runner-ct2', '--force')).code, 0);
  });

  test('two boards of one vendor and product: refused for a container (unix-hotplug has no serial), nothing created', async () => {
    const f = farm('runner-ct3');
    writeFileSync(
      f.config,
      f.text.replace(
        'usb: {hut-01: {vendor: 10c4, product: ea60}}',
        'usb: {hut-01: {vendor: 10c4, product: ea60, serial: A1}, hut-02: {vendor: 10c4, product: ea60, serial: B2}}',
      ),
    );
    const r = await run(f.config, 'vm', 'create', 'runner-ct3');
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /slots hut-01 and hut-02 are both 10c4:ea60, and a container's unix-hotplug devices match by vendor and product only, so each would pass both boards; nothing was created\n/,
    );
    assert.equal(await client.find('/1.0/instances/runner-ct3'), null);
  });
});
