/** The Delegation Gate (GOAL-001): what must hold before a remote-role workstream is executed. */
import type { Board } from './board.ts';
import { findRow } from './board.ts';
import type { HandoffEntry } from './handoff.ts';

export interface GateCheck {
  check: string;
  pass: boolean;
  detail: string;
}

const ORDER = ['unassigned', 'assigned', 'first_heartbeat', 'active'];

export function delegationGate(
  board: Board,
  entries: HandoffEntry[],
  ref: string,
  stateful = false,
): GateCheck[] {
  const row = findRow(board, ref);
  const role = row.owner.split(':')[0] ?? '';
  const concrete =
    /^(arch|infra|runner):[A-Za-z0-9._-]+$/.test(row.owner) && !row.owner.endsWith(':tbd');
  const activation = board.activation.find((a) => a.role === role);
  const needed = stateful ? 'first_heartbeat' : 'assigned';
  const state = activation?.state ?? (role === 'arch' ? 'active' : 'unassigned');
  const mine = entries.filter((e) => e.goal === ref || e.goal.startsWith(`${ref}-`));
  const roleContext =
    mine.find((e) => e.form === 'v2' && e.context === `${role}-live`) ??
    mine.find((e) => e.form === 'v2');
  const withGate = mine.find((e) => e.operator_required === 'yes' || e.operator_required === 'no');
  const withExecutor = mine.find((e) => e.tags.executor);
  return [
    { check: 'concrete owner', pass: concrete, detail: `owner ${row.owner}` },
    {
      check: `activation state >= ${needed}`,
      pass: ORDER.indexOf(state) >= ORDER.indexOf(needed),
      detail: `${role} is ${state}${activation ? ` (Role Activation Tracker line ${activation.line})` : ''}`,
    },
    {
      check: 'first role-context handoff logged',
      pass: roleContext !== undefined,
      detail: roleContext
        ? `handoff line ${roleContext.line}`
        : `no 9-field handoff entry for ${ref}`,
    },
    {
      check: 'operator gate recorded',
      pass: withGate !== undefined,
      detail: withGate
        ? `operator_required=${withGate.operator_required} (line ${withGate.line})`
        : 'no entry records operator_required',
    },
    {
      check: 'executor recorded',
      pass: withExecutor !== undefined,
      detail: withExecutor
        ? `executor=${withExecutor.tags.executor} (line ${withExecutor.line})`
        : 'no entry carries executor=remote_codex|ssh_direct',
    },
  ];
}
