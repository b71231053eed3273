/** Setting a target's keys in hutctl.yaml in place: only those bytes change. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { setMapStrings } from '../../src/config/yaml-set.ts';

const values = { transport: 'ssh', host: '10.87.0.23', user: 'runner' };

test('an existing target: only its changed values are replaced, comments and other keys kept', () => {
  const text = `# farm\ntargets:\n  arch: {transport: local}\n  runner:\n    transport: ssh   # the VM\n    host: 10.0.0.1\n    workdir: /srv/w\n\nslots: {}\n`;
  const out = setMapStrings(text, ['targets', 'runner'], values, 'hutctl.yaml')!;
  assert.equal(
    out,
    `# farm\ntargets:\n  arch: {transport: local}\n  runner:\n    transport: ssh   # the VM\n    host: 10.87.0.23\n    workdir: /srv/w\n    user: runner\n\nslots: {}\n`,
  );
  assert.equal(
    setMapStrings(out, ['targets', 'runner'], values, 'hutctl.yaml'),
    null,
    'nothing to change',
  );
});

test('a missing target or a missing targets map becomes a new block; a null map is filled', () => {
  const noRunner = `targets:\n    arch:\n        transport: local\npaths: {}\n`;
  assert.deepEqual(parse(setMapStrings(noRunner, ['targets', 'runner'], values, 'f')!), {
    targets: { arch: { transport: 'local' }, runner: values },
    paths: {},
  });
  const none = `paths:\n  evidence_dir: ./e\n`;
  const out = setMapStrings(none, ['targets', 'runner'], values, 'f')!;
  assert.ok(out.startsWith(none), out);
  assert.deepEqual(parse(out), { paths: { evidence_dir: './e' }, targets: { runner: values } });
  const empty = `targets:\n  runner: ~\n# end\n`;
  assert.deepEqual(parse(setMapStrings(empty, ['targets', 'runner'], values, 'f')!), {
    targets: { runner: values },
  });
  assert.deepEqual(parse(setMapStrings('', ['targets', 'runner'], values, 'f')!), {
    targets: { runner: values },
  });
});

test('values that need quotes are quoted; layouts it cannot edit in place are refused, nothing written', () => {
  const out = setMapStrings(
    'targets:\n  runner:\n    host: a\n',
    ['targets', 'runner'],
    { host: 'yes', user: 'a b: c' },
    'f',
  )!;
  assert.deepEqual(parse(out), { targets: { runner: { host: 'yes', user: 'a b: c' } } });
  assert.throws(
    () => setMapStrings('targets: {runner: {host: a}}\n', ['targets', 'runner'], values, 'f'),
    /f: targets is not a block map; set transport, host, user there by hand/,
  );
  assert.throws(
    () => setMapStrings('targets:\n  runner:\n    host: [a]\n', ['targets', 'runner'], values, 'f'),
    /targets\.runner\.host is not a plain value/,
  );
});
