/**
 * The LXD client against the real daemon (containers; VMs cannot run here): operations waited on
 * at once, failures found inside a 200, exec's `return` and its 127, a PATCH that fails validation
 * (a 500), a running instance that cannot be deleted, a VM refused by this server — one line each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LxdClient } from '../../src/lxd/client.ts';
import { lxdUnavailable, type RealLxd, startLxd } from '../support/lxd.ts';

const why = lxdUnavailable();

describe('the LXD client against the real daemon', { skip: why ?? false }, () => {
  let lxd: RealLxd;
  let client: LxdClient;
  before(async () => {
    lxd = await startLxd();
    client = new LxdClient(lxd.socket);
  });
  after(() => lxd?.stop());

  test('the server names itself and its api_extensions (what hutctl checks, never the version)', async () => {
    const server = await client.server();
    assert.equal(server.name, 'lxd');
    assert.ok(server.extensions.has('cloud_init'));
    assert.ok(server.extensions.has('usb_devices'));
  });

  test('a container: created, started, exec with its exit code and output, stopped, deleted', async () => {
    await client.run('POST', '/1.0/instances', {
      name: 'c1',
      type: 'container',
      source: { type: 'image', alias: lxd.image },
    });
    await client.run('PUT', '/1.0/instances/c1/state', { action: 'start', timeout: 30 });
    const state = (await client.get('/1.0/instances/c1/state')) as {
      status: string;
      processes: number;
    };
    assert.equal(state.status, 'Running');
    assert.ok(state.processes > 0);
    assert.deepEqual(await client.exec('c1', ['sh', '-c', 'echo out; echo err >&2; exit 3']), {
      return: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    assert.equal((await client.exec('c1', ['no-such-program'])).return, 127);
    // A failure inside the 200 of the operation's wait: a duplicate name.
    await assert.rejects(
      client.run('POST', '/1.0/instances', {
        name: 'c1',
        type: 'container',
        source: { type: 'image', alias: lxd.image },
      }),
      {
        message:
          /^LXD: POST \/1\.0\/instances: Failed creating instance record: .*This "instances" entry already exists$/,
      },
    );
    // 5.0.2 answers a PATCH that fails validation with a 500: a message, not "daemon broken".
    await assert.rejects(
      client.run('PATCH', '/1.0/instances/c1', {
        devices: { bad: { type: 'usb', vendorid: 'XYZ' } },
      }),
      {
        message:
          /^LXD: PATCH \/1\.0\/instances\/c1: Invalid devices: .*must be four lower case hex characters \(500\)$/,
      },
    );
    await assert.rejects(client.run('DELETE', '/1.0/instances/c1'), {
      message: 'LXD: DELETE /1.0/instances/c1: Instance is running (400)',
    });
    await client.run('PUT', '/1.0/instances/c1/state', {
      action: 'stop',
      force: true,
      timeout: 30,
    });
    await client.run('DELETE', '/1.0/instances/c1');
    assert.equal(await client.find('/1.0/instances/c1'), null);
  });

  test('a VM on a server that cannot run one: the operation’s own reason', async () => {
    await assert.rejects(
      client.run('POST', '/1.0/instances', {
        name: 'v1',
        type: 'virtual-machine',
        source: { type: 'image', alias: lxd.image },
      }),
      { message: /^LXD: POST \/1\.0\/instances: / },
    );
  });
});
