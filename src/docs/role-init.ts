/** `role init`: the minimum files of a remote role repository (GOAL-001 WS2 "Minimum Files"). */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HutError } from '../errors/index.ts';
import { makeDirs } from '../files/dirs.ts';
import { writeFileAtomic } from '../files/index.ts';

const BOUNDARY: Record<'infra' | 'runner', string[]> = {
  infra: [
    'manages host/container/VM provisioning and maintenance only',
    'never clones or edits the product repository',
    'does not talk to `runner` directly except when only local host commands can reach the VM',
  ],
  runner: [
    'executes CI/CD and hardware workflows inside the runner VM',
    'may operate on product repo clones/worktrees inside the VM',
    'does not own host virtualization lifecycle',
  ],
};

export async function initRole(
  role: 'infra' | 'runner',
  dir: string,
  today = new Date().toISOString().slice(0, 10),
): Promise<string[]> {
  const files: Record<string, string> = {
    'AGENTS.md': [
      `# ${role} agent`,
      '',
      '## Startup read order',
      '',
      '1. `documentation/coordination/workstream_board.md`',
      '2. `documentation/coordination/handoff_log.md` (newest entries first)',
      '3. the delegation packet you were given (its `thread_ref=`)',
      '',
      '## Role boundaries',
      '',
      ...BOUNDARY[role].map((b) => `- ${b}`),
      '',
      '## Discovery-first checks',
      '',
      'Before changing anything, look: `hostname`, `whoami`, `uptime`, `df -h /`, and what already exists',
      '(VMs, services, devices, files). Never assume a host or VM resource exists; record what you found.',
      '',
      '## Reporting',
      '',
      `- evidence goes to \`documentation/evidence/${role}_<topic>_<YYYYMMDD_HHMMSS>_utc.log\``,
      '- every session ends with a handoff line (9 fields) and pushed commits',
      '',
    ].join('\n'),
    'documentation/coordination/workstream_board.md': [
      '# Workstream Board',
      '',
      `Last updated: ${today}`,
      '',
      '| Goal ID | Workstream | Owner | Status | Blockers | Next Action |',
      '| --- | --- | --- | --- | --- | --- |',
      '',
    ].join('\n'),
    'documentation/coordination/handoff_log.md': [
      '# Handoff Log',
      '',
      'Format:',
      '',
      '```text',
      'YYYY-MM-DD HH:MM UTC | agent/session | goal/workstream | context | action_type | operator_required | summary | next action | blocker (optional)',
      '```',
      '',
      'Entries:',
      '',
      '```text',
      '```',
      '',
    ].join('\n'),
    'documentation/evidence/.gitkeep': '',
    'scripts/README.md': `# scripts\n\nExecutable wrappers for invocation, reporting and locks of the ${role} role.\n`,
  };
  const existing = Object.keys(files).filter((f) => existsSync(join(dir, f)));
  if (existing.length > 0) {
    throw new HutError('INPUT', `${dir} already has ${existing.join(', ')}; nothing was written`, {
      hint: 'role init only creates a new role repository',
    });
  }
  makeDirs(dir);
  for (const [rel, text] of Object.entries(files)) await writeFileAtomic(join(dir, rel), text);
  return Object.keys(files);
}
