/** One git worktree per task, with real git. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../support/cli.ts';

function repo(): string {
  const dir = tempDir('hutctl-repo-');
  const git = (...args: string[]) =>
    execFileSync('git', [
      '-C',
      dir,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.invalid',
      ...args,
    ]);
  git('init', '-q');
  writeFileSync(join(dir, 'README'), 'one\n');
  git('add', 'README');
  git('commit', '-q', '-m', 'one');
  return dir;
}

test('add, list and rm a task worktree; refuse duplicates, escapes and dirty removal', async () => {
  const dir = repo();
  const root = join(tempDir(), 'wt');
  const cli = (...args: string[]) => runCli(['worktree', ...args, '--repo', dir, '--root', root]);
  const added = await cli('add', 'TASK-7', '--json');
  assert.equal(added.code, 0, added.stderr);
  const tree = JSON.parse(added.stdout);
  assert.equal(tree.path, join(root, 'TASK-7'));
  assert.match(tree.artifact_prefix, /^TASK-7-[0-9a-f]{12}$/);
  assert.ok(existsSync(join(tree.path, 'build')) && existsSync(join(tree.path, 'out')));
  assert.equal(readFileSync(join(tree.path, 'README'), 'utf8'), 'one\n');
  assert.equal((await cli('add', 'TASK-7')).code, 2);
  const outside = await cli('add', '../outside');
  assert.equal(outside.code, 2);
  assert.equal(existsSync(join(root, '..', 'outside')), false);
  assert.deepEqual(
    JSON.parse((await cli('list', '--json')).stdout).map((t: { task_id: string }) => t.task_id),
    ['TASK-7'],
  );
  writeFileSync(join(tree.path, 'README'), 'changed\n');
  const dirty = await cli('rm', 'TASK-7');
  assert.equal(dirty.code, 2);
  assert.match(dirty.stderr, /uncommitted changes/);
  assert.equal((await cli('rm', 'TASK-7', '--force')).code, 0);
  assert.equal(existsSync(tree.path), false);
});
