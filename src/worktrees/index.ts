/**
 * One git worktree per task (GOAL-001 WS10): `<root>/<task-id>` with its own build and output
 * directories, and artifact names that carry the task id and the commit, so agents working in
 * parallel never share a build tree.
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { checkId } from '../contract/index.ts';
import { HutError, quoteValue } from '../errors/index.ts';
import { makeDirs } from '../files/dirs.ts';
import { pathUnder, writeFileAtomic } from '../files/index.ts';

const exec = promisify(execFile);

export interface Worktree {
  task_id: string;
  path: string;
  commit_sha: string;
  branch: string | null;
  build_dir: string;
  out_dir: string;
  /** Prefix for artifact names: `<task-id>-<sha12>`. */
  artifact_prefix: string;
}

async function git(repo: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec('git', ['-C', repo, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? (error as Error).message;
    throw new HutError('INPUT', `git ${args[0]}: ${stderr.split('\n').at(-1)}`);
  }
}

export async function addWorktree(
  repo: string,
  root: string,
  taskId: string,
  ref = 'HEAD',
): Promise<Worktree> {
  checkId('task_id', taskId);
  // A ref reaches git's argv: one that looks like an option is refused, not passed on.
  if (!/^[^-\s\x00-\x1f\x7f][^\s\x00-\x1f\x7f]*$/.test(ref)) {
    throw new HutError('INPUT', `ref ${quoteValue(ref)}: expected a commit, tag or branch name`);
  }
  const path = pathUnder(resolve(root), taskId);
  const existing = (await listWorktrees(repo, root)).find((w) => w.task_id === taskId);
  if (existing)
    throw new HutError('INPUT', `task ${taskId} is already checked out at ${existing.path}`, {
      hint: `hutctl worktree rm ${taskId} first`,
    });
  if (existsSync(path))
    throw new HutError('INPUT', `${path} already exists and is not a worktree of this repository`);
  makeDirs(root);
  await git(repo, ['worktree', 'add', '--detach', path, ref]);
  const sha = (await git(path, ['rev-parse', 'HEAD'])).trim();
  const tree: Worktree = {
    task_id: taskId,
    path,
    commit_sha: sha,
    branch: null,
    build_dir: join(path, 'build'),
    out_dir: join(path, 'out'),
    artifact_prefix: `${taskId}-${sha.slice(0, 12)}`,
  };
  makeDirs(tree.build_dir);
  makeDirs(tree.out_dir);
  await writeFileAtomic(join(path, '.hutctl-task.json'), `${JSON.stringify(tree, null, 2)}\n`);
  await git(path, ['update-index', '--refresh']).catch(() => '');
  return tree;
}

export async function listWorktrees(repo: string, root: string): Promise<Worktree[]> {
  const out = await git(repo, ['worktree', 'list', '--porcelain']);
  const base = resolve(root);
  const trees: Worktree[] = [];
  for (const block of out.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (!path?.startsWith(`${base}/`)) continue;
    const taskId = path.slice(base.length + 1);
    const sha = /^HEAD ([0-9a-f]+)$/m.exec(block)?.[1] ?? '';
    trees.push({
      task_id: taskId,
      path,
      commit_sha: sha,
      branch: /^branch refs\/heads\/(.+)$/m.exec(block)?.[1] ?? null,
      build_dir: join(path, 'build'),
      out_dir: join(path, 'out'),
      artifact_prefix: `${taskId}-${sha.slice(0, 12)}`,
    });
  }
  return trees;
}

export async function removeWorktree(
  repo: string,
  root: string,
  taskId: string,
  force = false,
): Promise<Worktree> {
  checkId('task_id', taskId);
  const tree = (await listWorktrees(repo, root)).find((w) => w.task_id === taskId);
  if (!tree) throw new HutError('NOT_FOUND', `no worktree for task ${taskId} under ${root}`);
  const status = await git(tree.path, [
    'status',
    '--porcelain',
    '--untracked-files=normal',
    '--',
    '.',
    ':!build',
    ':!out',
    ':!.hutctl-task.json',
  ]);
  if (status.trim() && !force) {
    throw new HutError('INPUT', `worktree ${tree.path} has uncommitted changes`, {
      hint: 'commit or discard them, or pass --force',
    });
  }
  await git(repo, ['worktree', 'remove', '--force', tree.path]);
  return tree;
}
