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

test('a new SQLite ledger is readable by its user only', async () => {
  const { openStore } = await import('../../src/store/ledger.ts');
  const { loadConfig } = await import('../../src/config/load.ts');
  const dir = tempDir('hutctl-ledger-mode-');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'hutctl.yaml'), `store:\n  path: ${join(dir, 'l', 'ledger.sqlite')}\n`);
  const { config } = loadConfig({ cwd: dir, env: { HOME: dir } });
  const db = await openStore(config);
  await db?.close();
  assert.equal(statSync(join(dir, 'l', 'ledger.sqlite')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'l')).mode & 0o777, 0o700);
});
