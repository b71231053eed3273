/** Picking the target a command runs on: by name, by role, or the built-in `local`. */
import { HutError } from '../errors/index.ts';
import type { HutConfig, Target } from './types.ts';

export function localTarget(workdir?: string): Target {
  return {
    name: 'local',
    transport: 'local',
    sshOptions: {},
    loginShell: false,
    source: 'built-in',
    ...(workdir ? { workdir } : {}),
  };
}

/** The named target; `local` is always available unless the config redefines it. */
export function resolveTarget(config: HutConfig, name: string): Target {
  const target = Object.hasOwn(config.targets, name) ? config.targets[name] : undefined;
  if (target) return target;
  if (name === 'local') return localTarget();
  const known = Object.keys(config.targets);
  throw new HutError(
    'CONFIG',
    `no target '${name}' is configured${config.file ? ` in ${config.file}` : ' (no hutctl.yaml found)'}`,
    {
      hint: `${known.length ? `configured: ${known.join(', ')}, local. ` : ''}add it under targets: in hutctl.yaml, e.g. targets: {${name}: {transport: ssh, host: HOST, user: USER}}`,
    },
  );
}
