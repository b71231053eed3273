/**
 * GOAL documents: the header (`Status:`, `Owner:`, `Last updated:` — with their two trailing
 * spaces), `## WSn: …` sections, and the Deliverables Checklist. Ticking an item rewrites only its
 * line (and `Last updated:`).
 */
import { HutError } from '../errors/index.ts';

export interface GoalDoc {
  id: string;
  title: string;
  status: string | null;
  owner: string | null;
  last_updated: string | null;
  workstreams: Array<{ ws: string; title: string; line: number }>;
  /** The line of the `## Deliverables Checklist` heading, or null. */
  checklist_line: number | null;
  checklist: Array<{ line: number; checked: boolean; text: string }>;
}

export function parseGoal(text: string, where: string): GoalDoc {
  const lines = text.split('\n');
  const h1 = /^# (GOAL-\d{3}): (.+)$/.exec(lines.find((l) => l.startsWith('# ')) ?? '');
  if (!h1)
    throw new HutError(
      'INPUT',
      `${where}: the first heading is not '# GOAL-nnn: <title>'; the file was left untouched`,
    );
  const header = (key: string) =>
    lines
      .map((l) => new RegExp(`^${key}:\\s*(.*?)\\s*$`).exec(l)?.[1])
      .find((v) => v !== undefined) ?? null;
  const start = lines.findIndex((l) => /^## Deliverables Checklist/.test(l));
  const checklist: GoalDoc['checklist'] = [];
  if (start >= 0) {
    for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('## '); i++) {
      const m = /^- \[([ xX])\] (.*)$/.exec(lines[i]!);
      if (m) checklist.push({ line: i + 1, checked: m[1] !== ' ', text: m[2]! });
    }
  }
  return {
    id: h1[1]!,
    title: h1[2]!,
    status: header('Status'),
    owner: header('Owner'),
    last_updated: header('Last updated'),
    workstreams: lines.flatMap((l, i) => {
      const m = /^## (WS\d+): (.+)$/.exec(l);
      return m ? [{ ws: m[1]!, title: m[2]!, line: i + 1 }] : [];
    }),
    checklist_line: start >= 0 ? start + 1 : null,
    checklist,
  };
}

/** Ticks (or unticks) the checklist item whose text contains `match`. */
export function tickChecklist(
  text: string,
  where: string,
  match: string,
  checked: boolean,
  today: string,
): string {
  const goal = parseGoal(text, where);
  const items = goal.checklist.filter((c) => c.text.toLowerCase().includes(match.toLowerCase()));
  if (items.length !== 1) {
    throw new HutError(
      'INPUT',
      `${where}: ${items.length === 0 ? 'no' : `${items.length}`} checklist item(s) match ${JSON.stringify(match)}`,
      {
        hint: items.length
          ? 'be more specific'
          : `items: ${goal.checklist.map((c) => c.text).join(' / ')}`,
      },
    );
  }
  const lines = text.split('\n');
  const item = items[0]!;
  lines[item.line - 1] = lines[item.line - 1]!.replace(/^- \[[ xX]\]/, checked ? '- [x]' : '- [ ]');
  const updated = lines.findIndex((l) => /^Last updated:/.test(l));
  if (updated >= 0)
    lines[updated] = lines[updated]!.replace(/^(Last updated:\s*)\S+/, `$1${today}`);
  return lines.join('\n');
}
