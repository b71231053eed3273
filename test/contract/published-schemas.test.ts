/**
 * The JSON Schemas in schemas/, checked by an independent validator (Ajv, draft 2020-12) against
 * what hutctl really writes: the simulated farm's hutctl.yaml and the example config, an
 * artifact manifest of a realistic ESP-IDF build, a hil result from a real run, and a job's
 * invocation and report. And each rejects a document a tool should refuse.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { SCHEMA_BASE } from '../../src/contract/write-schemas.ts';
import { putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

const repo = new URL('../..', import.meta.url).pathname;
const ajv = new Ajv2020({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
for (const file of readdirSync(join(repo, 'schemas'))) {
  ajv.addSchema(JSON.parse(readFileSync(join(repo, 'schemas', file), 'utf8')));
}

function check(name: string, document: unknown): void {
  const validate = ajv.getSchema(`${SCHEMA_BASE}${name}.schema.json`);
  assert.ok(validate, `no schema ${name}`);
  assert.ok(validate(document), `${name}: ${JSON.stringify(validate.errors, null, 1)}`);
}

function refuses(name: string, document: unknown): void {
  const validate = ajv.getSchema(`${SCHEMA_BASE}${name}.schema.json`)!;
  assert.equal(validate(document), false, `${name} accepted ${JSON.stringify(document)}`);
}

let t: TestFarm;
const SHA = '9c1e2f3a4b5d';
before(async () => {
  t = await startTestFarm(2);
  await putIdfBuild(t, SHA, { version: 'v3.0.1' }, ['i2s', 'muse']);
});
after(async () => {
  await t.stop();
});

test('every schema has a URI $id under the published base and a title', () => {
  for (const file of readdirSync(join(repo, 'schemas'))) {
    const schema = JSON.parse(readFileSync(join(repo, 'schemas', file), 'utf8'));
    assert.equal(schema.$id, `${SCHEMA_BASE}${file}`);
    assert.equal(typeof schema.title, 'string');
  }
});

test('hutctl.yaml: the simulated farm’s and the example config pass; a misspelt key does not', () => {
  const farm = parse(readFileSync(t.farm.configPath, 'utf8'));
  check('hutctl.config.v1', farm);
  check('hutctl.config.v1', parse(readFileSync(join(repo, 'examples/hutctl.yaml'), 'utf8')));
  refuses('hutctl.config.v1', { ...farm, slot: farm.slots });
  refuses('hutctl.config.v1', { targets: { runner: { transport: 'telnet' } } });
  // The generated config tells a YAML language server which schema it follows.
  assert.match(
    readFileSync(t.farm.configPath, 'utf8'),
    new RegExp(
      `^# yaml-language-server: \\$schema=${SCHEMA_BASE}hutctl\\.config\\.v1\\.schema\\.json$`,
      'm',
    ),
  );
});

test('an artifact manifest, a hil result and a job report from real runs pass', async () => {
  const manifest = JSON.parse(
    readFileSync(join(t.dir, 'artifacts', SHA, 'muse', 'manifest.json'), 'utf8'),
  );
  check('hutctl.artifact.v1', manifest);
  refuses('hutctl.artifact.v1', { ...manifest, files: [] });

  const run = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  check('hutctl.hil-result.v1', result);
  refuses('hutctl.hil-result.v1', { ...result, status: 'ok' });

  const slot = await t.hutctl(['slot', 'run', 'hut-02', '--json', '--', 'true']);
  assert.equal(slot.code, 0, slot.stderr);
  const report = JSON.parse(slot.stdout);
  check('ws2.report.v1', report);
  refuses('ws2.report.v1', { ...report, status: 'passed' });
});
