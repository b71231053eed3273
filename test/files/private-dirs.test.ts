/** Directories hutctl makes on the way to a file are private to its user. */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/files/index.ts';
import { tempDir } from '../support/cli.ts';

test('writeFileAtomic makes missing directories 0700, whatever the umask', async () => {
  const root = tempDir('hutctl-dirs-');
  await writeFileAtomic(join(root, 'state', 'hutctl', 'slots', 'hut-01.json'), '{}\n');
  for (const dir of ['state', 'state/hutctl', 'state/hutctl/slots']) {
    assert.equal(statSync(join(root, dir)).mode & 0o777, 0o700, dir);
  }
});
