/**
 * Coordination documents at scale (results in docs/benchmarks.md):  npm run bench:docs
 * - parse + lint a handoff log of 10,000 entries and a board of 500 rows (target ≤ 1 s);
 * - `hutctl handoff add` on that log vs `node -e 0` (target ≤ 3×).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseBoard, parseHandoffLog } from '../src/docs/index.ts';
import { lintDocs } from '../src/docs/lint.ts';
import { CLI, tempDir } from '../test/support/cli.ts';

const root = tempDir('hutctl-bench-docs-');
const coord = join(root, 'documentation/short-term/coordination');
mkdirSync(coord, { recursive: true });
const entries: string[] = [];
for (let i = 0; i < 10_000; i++) {
  const day = String(1 + (i % 28)).padStart(2, '0');
  entries.push(
    `2026-02-${day} ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} UTC | runner:codex | GOAL-${String(1 + (i % 5)).padStart(3, '0')}/WS${1 + (i % 12)} | runner-live | execute | no | executor=remote_codex step ${i} done, evidence \`runner_step_${i}_20260213_101500_utc.log\` and commit \`runner/runner-agent@${(i * 7919).toString(16).padStart(7, '0')}\` | continue with step ${i + 1} | none`,
  );
}
writeFileSync(
  join(coord, 'handoff_log.md'),
  `# Handoff Log\n\nEntries:\n\n\`\`\`text\n${entries.join('\n')}\n\`\`\`\n`,
);
const rows: string[] = [];
for (let i = 0; i < 500; i++)
  rows.push(
    `| GOAL-${String(1 + Math.floor(i / 12)).padStart(3, '0')} | WS${1 + (i % 12)}: Workstream ${i} | runner:codex | pending | none | next action ${i} |`,
  );
writeFileSync(
  join(coord, 'workstream_board.md'),
  `# Workstream Board\n\nLast updated: 2026-02-28\n\n| Goal ID | Workstream | Owner | Status | Blockers | Next Action |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
);

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const lintTimes: number[] = [];
let findings = 0;
for (let i = 0; i < 5; i++) {
  const began = performance.now();
  parseHandoffLog(readText('handoff_log.md'), 'log');
  parseBoard(readText('workstream_board.md'), 'board');
  findings = lintDocs(root).length;
  lintTimes.push(performance.now() - began);
}
function readText(name: string): string {
  return spawnSync('cat', [join(coord, name)], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
}

const time = (argv: string[]) => {
  const began = process.hrtime.bigint();
  spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - began) / 1e6;
};
const node: number[] = [];
const add: number[] = [];
for (let i = 0; i < 15; i++) {
  node.push(time([process.execPath, '-e', '0']));
  add.push(
    time([
      process.execPath,
      CLI,
      'handoff',
      'add',
      '--docs',
      root,
      '--agent',
      'arch:codex',
      '--goal',
      'GOAL-001/WS9',
      '--context',
      'arch-local',
      '--action',
      'delegate',
      '--operator-required',
      'no',
      '--summary',
      `bench ${i}`,
      '--next',
      'none',
    ]),
  );
}
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}`);
console.log('| benchmark | measured (median) | ratio | target |\n|---|---|---|---|');
console.log(
  `| parse + lint: handoff log of 10,000 entries + board of 500 rows | ${median(lintTimes).toFixed(0)} ms (${findings} findings) | – | ≤ 1 s |`,
);
console.log(
  `| \`hutctl handoff add\` on that log | ${median(add).toFixed(1)} ms vs node -e 0 ${median(node).toFixed(1)} ms | ${(median(add) / median(node)).toFixed(2)}× | ≤ 3× |`,
);
