/** Transports: how argv reaches a role's host. One file per kind; `transportFor` picks one. */
import type { HutConfig, Target } from '../config/index.ts';
import { LocalTransport } from './local.ts';
import { SshTransport } from './ssh.ts';
import type { Transport } from './transport.ts';

export { LocalTransport } from './local.ts';
export { SshTransport } from './ssh.ts';
export { type SpawnOptions, shellQuote, type Transport } from './transport.ts';

export function transportFor(target: Target, config: HutConfig): Transport {
  switch (target.transport) {
    case 'local':
      return new LocalTransport(target);
    case 'ssh':
      return new SshTransport(target, config.ssh);
  }
}
export { type Heartbeat, heartbeat } from './heartbeat.ts';
