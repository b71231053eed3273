/** The WS2 contract: exact fields, hostile input, JSON paths, and the checked-in JSON Schemas. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import * as z from 'zod/mini';
import { ID_GRAMMAR } from '../../src/contract/ids.ts';
import {
  CONTRACTS,
  type ContractName,
  checkContract,
  checkSchema,
  idSchema,
  parseInvocation,
} from '../../src/contract/index.ts';
import { schemaFileName, schemaFileText } from '../../src/contract/write-schemas.ts';
import { isHutError } from '../../src/errors/index.ts';
import { invocation, runCli, tempDir } from '../support/cli.ts';

const SPEC_INVOCATION = {
  schema_version: 'ws2.invocation.v1',
  job_id: 'GOAL-001-WS2-0001',
  target_role: 'infra',
  requested_by: 'arch',
  request_utc: '2026-02-12T15:30:00Z',
  commit_sha: 'none',
  repo: 'squeezelite-esp32',
  workdir: '/home/codexsvc',
  command: ['hostname', 'whoami', 'uptime'],
  timeout_sec: 600,
  lock_key: 'goal001-ws2-smoke',
  expected_artifacts: ['test/build/log/lxd_ws2_smoke_YYYYMMDD.log'],
  notes: 'WS2 role routing smoke test',
};

const SPEC_REPORT = {
  schema_version: 'ws2.report.v1',
  job_id: 'GOAL-001-WS2-0001',
  agent_role: 'infra',
  status: 'success',
  start_utc: '2026-02-12T15:30:10Z',
  end_utc: '2026-02-12T15:30:12Z',
  duration_sec: 2,
  exit_code: 0,
  lock_key: 'goal001-ws2-smoke',
  executor: { hostname: 'hpi5-2', user: 'codexsvc' },
  commit_sha: 'none',
  artifact_paths: ['test/build/log/lxd_ws2_smoke_YYYYMMDD.log'],
  human_summary: 'Infra-role smoke command completed successfully.',
  next_action: 'Proceed with role-specific AGENT repo skeletons.',
};

test("the spec's own examples are valid", () => {
  assert.deepEqual(checkContract(SPEC_INVOCATION), {
    contract: 'ws2.invocation.v1',
    valid: true,
    issues: [],
  });
  assert.deepEqual(checkContract(SPEC_REPORT), {
    contract: 'ws2.report.v1',
    valid: true,
    issues: [],
  });
});

test('each required field of the spec is required, and nothing else is', () => {
  const required: Record<ContractName, [Record<string, unknown>, string[]]> = {
    'ws2.invocation.v1': [
      SPEC_INVOCATION,
      [
        'schema_version',
        'job_id',
        'target_role',
        'requested_by',
        'request_utc',
        'command',
        'timeout_sec',
        'lock_key',
      ],
    ],
    'ws2.report.v1': [
      SPEC_REPORT,
      [
        'schema_version',
        'job_id',
        'agent_role',
        'status',
        'start_utc',
        'end_utc',
        'duration_sec',
        'exit_code',
        'lock_key',
        'human_summary',
      ],
    ],
  };
  for (const [name, [example, fields]] of Object.entries(required) as Array<
    [ContractName, [Record<string, unknown>, string[]]]
  >) {
    for (const key of Object.keys(example)) {
      const { [key]: _dropped, ...rest } = example;
      const result = checkContract(rest, name);
      assert.equal(
        result.valid,
        !fields.includes(key),
        `${name}: ${key} should be ${fields.includes(key) ? 'required' : 'optional'}`,
      );
      if (!result.valid) assert.equal(result.issues[0]!.path, `$.${key}`);
    }
  }
});

test('enums are exactly the spec values', () => {
  for (const role of ['infra', 'runner'])
    assert.ok(checkContract({ ...SPEC_INVOCATION, target_role: role }).valid);
  for (const role of ['arch', 'Runner', ''])
    assert.equal(checkContract({ ...SPEC_INVOCATION, target_role: role }).valid, false);
  for (const status of ['success', 'failed', 'timeout', 'cancelled'])
    assert.ok(checkContract({ ...SPEC_REPORT, status }).valid);
  for (const status of ['successful', 'canceled', 'error'])
    assert.equal(checkContract({ ...SPEC_REPORT, status }).valid, false);
});

test('problems are reported at their JSON path', () => {
  const result = checkContract({
    ...SPEC_INVOCATION,
    command: ['ok', 3],
    executor: 'x',
    timeout_sec: -1,
  });
  assert.deepEqual(result.issues.map((i) => i.path).sort(), [
    '$.command[1]',
    '$.executor',
    '$.timeout_sec',
  ]);
});

test('a record key that breaks its name rule is reported at the key, with the rule; so is a __proto__ key', () => {
  // zod says "Invalid key in record" for the first and skips the second without a word.
  const schema = z.object({ slots: z.record(idSchema('slot'), z.string()) });
  const result = checkSchema(
    schema,
    JSON.parse('{"slots": {"hut-01": "a", "Hut 02": "b", "__proto__": "c"}}'),
  );
  const rule = `slot: ${ID_GRAMMAR.slot.rule}`;
  assert.deepEqual(result, {
    success: false,
    issues: [
      { path: '$.slots["Hut 02"]', message: rule },
      { path: '$.slots.__proto__', message: rule },
    ],
  });
  assert.deepEqual(checkSchema(schema, { slots: { 'hut-01': 'a' } }), {
    success: true,
    data: { slots: { 'hut-01': 'a' } },
  });
});

test('hostile invocations never get through and never crash the validator', () => {
  const hostileId = fc.oneof(
    fc.constantFrom(
      '..',
      '.',
      '../x',
      'a/b',
      '/abs',
      'a\u0000b',
      '',
      ' x',
      '-rf',
      'x'.repeat(129),
      'ä',
      'a b',
    ),
    fc.string().filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(s)),
  );
  fc.assert(
    fc.property(hostileId, fc.constantFrom('job_id', 'lock_key'), (id, field) => {
      const result = checkContract({ ...SPEC_INVOCATION, [field]: id });
      return !result.valid && result.issues.some((i) => i.path === `$.${field}`);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.anything(), (value) => {
      const result = checkContract(value, 'ws2.invocation.v1');
      return typeof result.valid === 'boolean' && (result.valid || result.issues.length > 0);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom(...Object.keys(SPEC_INVOCATION)), fc.anything()),
      (overrides) => {
        const value = { ...SPEC_INVOCATION, ...overrides };
        try {
          const parsed = parseInvocation(JSON.stringify(value), 'prop');
          // Anything accepted is safe to use as a file name component.
          return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(parsed.job_id) && parsed.command.length > 0;
        } catch (error) {
          return isHutError(error) && error.code === 'INPUT';
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('valid invocations round-trip unchanged', () => {
  const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/);
  fc.assert(
    fc.property(
      id,
      id,
      fc.array(fc.string({ minLength: 1 }), { minLength: 1 }),
      fc.integer({ min: 1, max: 3600 }),
      (job, lock, command, timeout) => {
        const value = {
          ...SPEC_INVOCATION,
          job_id: job,
          lock_key: lock,
          command,
          timeout_sec: timeout,
        };
        assert.deepEqual(parseInvocation(JSON.stringify(value), 'prop'), value);
      },
    ),
  );
});

test('the JSON Schemas in schemas/ are current', () => {
  for (const name of Object.keys(CONTRACTS) as ContractName[]) {
    const file = join(import.meta.dirname, '..', '..', 'schemas', schemaFileName(name));
    assert.equal(
      readFileSync(file, 'utf8'),
      schemaFileText(name),
      `${file} is stale: run npm run schemas`,
    );
  }
});

test('contract validate prints every problem with its path and exits 1', async () => {
  const dir = tempDir();
  const bad = await runCli(['contract', 'validate', '-'], {
    cwd: dir,
    input: invocation({ command: [], timeout_sec: 'x' }),
  });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /stdin: \$\.command: command needs at least one step/);
  assert.match(bad.stdout, /stdin: \$\.timeout_sec: /);
  assert.match(bad.stdout, /2 problem\(s\) against ws2.invocation.v1/);
  const good = await runCli(['contract', 'validate', '--json', '-'], {
    cwd: dir,
    input: JSON.stringify(SPEC_REPORT),
  });
  assert.equal(good.code, 0);
  assert.deepEqual(JSON.parse(good.stdout), {
    file: 'stdin',
    contract: 'ws2.report.v1',
    valid: true,
    issues: [],
  });
  const unknown = await runCli(['contract', 'validate', '-'], {
    cwd: dir,
    input: '{"schema_version":"ws9"}',
  });
  assert.match(unknown.stdout, /unknown schema_version "ws9"/);
});
