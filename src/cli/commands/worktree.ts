/** `hutctl worktree add|list|rm <task-id>`: one git worktree per task. */

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';

const DEFAULT_ROOT = join(homedir(), 'workspace', 'wt');

export function register(program: Command): void {
  const worktree = program
    .command('worktree')
    .description(
      'one git worktree per task under ~/workspace/wt/<task-id>, with its own build/ and out/',
    );
  const common = (c: Command) =>
    c
      .option('--repo <dir>', 'the repository', '.')
      .option(
        '--root <dir>',
        'where task worktrees live (default ~/workspace/wt, or $HUTCTL_WORKTREE_ROOT)',
      )
      .option('--json', 'print as JSON');
  const root = (o: { root?: string }) => o.root ?? process.env.HUTCTL_WORKTREE_ROOT ?? DEFAULT_ROOT;

  withExamples(
    common(
      worktree
        .command('add')
        .description('check out <ref> (default HEAD) for a task')
        .argument('<task-id>', 'the task, e.g. TASK-42: the directory and artifact name prefix')
        .argument('[ref]', 'commit, tag or branch', 'HEAD'),
    ),
    [
      ['hutctl worktree add TASK-42 origin/main', '~/workspace/wt/TASK-42 at origin/main'],
      [
        'hutctl worktree add TASK-43 3f2c1ab --repo ~/src/squeezelite-esp32',
        'a commit of another repository',
      ],
    ],
  ).action(
    async (
      taskId: string,
      ref: string,
      options: { repo: string; root?: string; json?: boolean },
    ) => {
      const { addWorktree } = await import('../../worktrees/index.ts');
      const tree = await addWorktree(options.repo, root(options), taskId, ref);
      if (options.json) return printJson(tree);
      printLine(
        `${tree.task_id}: ${tree.path} at ${tree.commit_sha.slice(0, 12)}; build in ${tree.build_dir}, artifacts named ${tree.artifact_prefix}-*`,
      );
    },
  );
  withExamples(
    common(worktree.command('list').description('the task worktrees of this repository')),
    [
      ['hutctl worktree list', "this repository's task worktrees and their commits"],
      ['hutctl worktree list --repo ~/src/squeezelite-esp32 --json', 'another repository, as JSON'],
    ],
  ).action(async (options: { repo: string; root?: string; json?: boolean }) => {
    const { listWorktrees } = await import('../../worktrees/index.ts');
    const trees = await listWorktrees(options.repo, root(options));
    if (options.json) return printJson(trees);
    if (trees.length === 0) printLine(`no task worktrees under ${root(options)}`);
    for (const t of trees)
      printLine(`${t.task_id.padEnd(24)} ${t.commit_sha.slice(0, 12)}  ${t.path}`);
  });
  withExamples(
    common(
      worktree
        .command('rm')
        .description("remove a task's worktree (refused with uncommitted changes unless --force)")
        .argument('<task-id>', 'the task whose worktree goes')
        .option('--force', 'remove even with uncommitted changes'),
    ),
    [
      ['hutctl worktree rm TASK-42', "remove TASK-42's worktree"],
      ['hutctl worktree rm TASK-42 --force', 'even with uncommitted changes'],
    ],
  ).action(
    async (
      taskId: string,
      options: { repo: string; root?: string; json?: boolean; force?: boolean },
    ) => {
      const { removeWorktree } = await import('../../worktrees/index.ts');
      const tree = await removeWorktree(
        options.repo,
        root(options),
        taskId,
        options.force === true,
      );
      if (options.json) return printJson(tree);
      printLine(`removed ${tree.path}`);
    },
  );
}
