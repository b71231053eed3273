/** Release hygiene: the changelog's form, and one version everywhere it is shown. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../support/cli.ts';

const repo = new URL('../..', import.meta.url).pathname;

test('CHANGELOG.md is in Keep a Changelog form, with an [Unreleased] section first', () => {
  const text = readFileSync(join(repo, 'CHANGELOG.md'), 'utf8');
  const headings = [...text.matchAll(/^(#{1,3}) (.*)$/gm)].map((m) => [m[1]!.length, m[2]!]);
  assert.deepEqual(headings[0], [1, 'Changelog']);
  assert.deepEqual(headings[1], [2, '[Unreleased]']);
  for (const [level, title] of headings.slice(1)) {
    if (level === 2)
      assert.match(title as string, /^\[(Unreleased|\d+\.\d+\.\d+)\]( - \d{4}-\d{2}-\d{2})?$/);
    if (level === 3)
      assert.match(title as string, /^(Added|Changed|Deprecated|Removed|Fixed|Security)$/);
  }
  // Every version heading has its link at the end.
  for (const [level, title] of headings) {
    if (level !== 2) continue;
    const name = (title as string).replace(/^\[([^\]]+)\].*$/, '$1');
    assert.match(text, new RegExp(`^\\[${name.replace(/\./g, '\\.')}\\]: https://`, 'm'));
  }
});

test('one version: package.json, --version, the help and the man page agree', async () => {
  const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  assert.equal((await runCli(['--version'])).stdout, `${version}\n`);
  assert.equal((await runCli(['--version', '--debug'])).stdout, `${version}\n`);
  assert.match(
    readFileSync(join(repo, 'man/hutctl.1'), 'utf8'),
    new RegExp(`"hutctl ${version.replace(/\./g, '\\.')}"`),
  );
});
