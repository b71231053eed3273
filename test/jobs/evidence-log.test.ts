/**
 * The evidence log once closed: its descriptor's number is the next file's to take (a run writes
 * its result file right after closing the log), so a line that comes late — from a flasher still
 * logging after Ctrl-C stopped the run — must reach neither file.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EvidenceLog } from '../../src/jobs/index.ts';
import { tempDir } from '../support/cli.ts';

test('a line written after close reaches neither the log nor the file that took its descriptor', async () => {
  const dir = tempDir();
  const log = EvidenceLog.create(join(dir, 'run.log'));
  const sink = log.sink();
  await log.line('# first');
  sink.write('step output\n');
  await log.line('# last');
  const number = log.fd;
  await log.close();
  // The result file, opened next, gets the number the log had.
  const result = join(dir, 'result.json');
  const fd = openSync(result, 'w');
  assert.equal(fd, number, 'the next file opened takes the freed number');
  try {
    await log.line('Compressed 180064 bytes to 137482...');
    writeSync(fd, '{"status":"blocked"}\n');
  } finally {
    closeSync(fd);
  }
  assert.equal(readFileSync(result, 'utf8'), '{"status":"blocked"}\n');
  assert.equal(readFileSync(join(dir, 'run.log'), 'utf8'), '# first\nstep output\n# last\n');
  assert.equal(await log.size(), '# first\nstep output\n# last\n'.length);
  await log.close(); // twice: nothing more happens
});

test('copied output that comes after close goes nowhere either', async () => {
  const dir = tempDir();
  const log = EvidenceLog.create(join(dir, 'run.log'));
  const sink = log.sink();
  sink.write('early\n');
  const number = log.fd;
  await log.close();
  const other = join(dir, 'other');
  const fd = openSync(other, 'w');
  assert.equal(fd, number);
  try {
    await new Promise<void>((resolve) => sink.write('late\n', () => resolve()));
  } finally {
    closeSync(fd);
  }
  assert.equal(readFileSync(other, 'utf8'), '');
  assert.equal(readFileSync(join(dir, 'run.log'), 'utf8'), 'early\n');
});
