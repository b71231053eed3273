/** Warnings about the directories a config names: who else could read or replace what is kept there. */
import { unsafeDirMode } from '../files/index.ts';
import type { HutConfig } from './types.ts';

export interface DirWarning {
  key: string;
  path: string;
  message: string;
}

/** Evidence, state and SSH sockets are private; lock and cancel directories are shared but must be sticky. */
export function directoryWarnings(config: HutConfig): DirWarning[] {
  const p = config.paths;
  const shared = p.shareGroup === null ? 'private' : 'shared';
  const dirs: Array<[string, string, 'private' | 'shared']> = [
    ['paths.evidence_dir', p.evidenceDir, shared],
    ['paths.state_dir', p.stateDir, shared],
    ['ssh.control_dir', config.ssh.controlDir, 'private'],
    ['paths.lock_dir', p.lockDir, 'shared'],
    ['paths.cancel_dir', p.cancelDir, 'shared'],
    ['paths.slot_lock_dir', p.slotLockDir, 'shared'],
    ['artifacts.store', config.artifacts.store, 'shared'],
  ];
  const warnings: DirWarning[] = [];
  for (const [key, path, use] of dirs) {
    const unsafe = unsafeDirMode(path, use);
    if (unsafe) warnings.push({ key, path, message: `${key} ${path} ${unsafe.problem}` });
  }
  return warnings;
}
