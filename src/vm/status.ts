/** What the server says of a runner instance: state, global addresses, agent, boards. */
import type { LxdClient } from '../lxd/client.ts';
import { BOARD_DEVICES } from './instance.ts';

export interface VmAddress {
  nic: string;
  address: string;
}

export interface VmStatus {
  name: string;
  server: string;
  exists: boolean;
  /** `virtual-machine` or `container`, as the server has it. */
  type: string | null;
  status: string | null;
  addresses: VmAddress[];
  /** -1 while a VM's agent is not running; a running container's are counted at once. */
  processes: number | null;
  agent: boolean;
  usb: { slot: string; device: string; vendor: string; product: string; serial: string | null }[];
}

export async function vmStatus(client: LxdClient, name: string): Promise<VmStatus> {
  const server = await client.server();
  const instance = (await client.find(`/1.0/instances/${encodeURIComponent(name)}`)) as {
    type?: string;
    devices?: Record<string, Record<string, string>>;
  } | null;
  const status: VmStatus = {
    name,
    server: `${server.name} ${server.version}`,
    exists: instance !== null,
    type: instance?.type ?? null,
    status: null,
    addresses: [],
    processes: null,
    agent: false,
    usb: [],
  };
  if (!instance) return status;
  for (const [device, d] of Object.entries(instance.devices ?? {}))
    if (BOARD_DEVICES.has(d.type ?? ''))
      status.usb.push({
        slot: device.replace(/^usb-/, ''),
        device,
        vendor: d.vendorid ?? '',
        product: d.productid ?? '',
        serial: d.serial ?? null,
      });
  const state = (await client.get(`/1.0/instances/${encodeURIComponent(name)}/state`)) as {
    status?: string;
    processes?: number;
    network?: Record<
      string,
      { addresses?: { family: string; address: string; scope: string }[] }
    > | null;
  };
  status.status = state.status ?? null;
  status.processes = state.processes ?? null;
  status.agent = (state.processes ?? -1) > -1;
  for (const [nic, n] of Object.entries(state.network ?? {}))
    for (const a of n.addresses ?? [])
      if (a.family === 'inet' && a.scope === 'global')
        status.addresses.push({ nic, address: a.address });
  return status;
}
