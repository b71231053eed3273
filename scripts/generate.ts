#!/usr/bin/env node
// Writes the files made from the sources (npm run generate): the JSON Schemas in schemas/, the
// shell completion scripts in completions/ and the man page man/hutctl.1. With --check, writes
// nothing and exits 1 naming every file that is not current (the tests run the same check).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles } from '../src/cli/generated.ts';
import { writeFileAtomic } from '../src/files/index.ts';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [path, text] of await generatedFiles()) {
  let current: string | null = null;
  try {
    current = readFileSync(join(root, path), 'utf8');
  } catch {}
  if (current === text) continue;
  if (check) stale.push(path);
  else {
    await writeFileAtomic(join(root, path), text);
    console.log(`wrote ${path}`);
  }
}
if (stale.length > 0) {
  console.error(`not current (run npm run generate): ${stale.join(', ')}`);
  process.exit(1);
}
