/**
 * `slot import` edits hutctl.yaml in place: on a commented, hand-formatted file only the lines
 * of added and changed slots differ, byte for byte; generated slot maps merge into generated
 * layouts and parse back to exactly the intended data.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { mergeSlots, type SlotEntry } from '../../src/slots/index.ts';
import { runCli, tempDir } from '../support/cli.ts';
import { RUNS } from '../support/hostile.ts';

const HAND = [
  '# hutctl.yaml for the bench farm (hand-written; keep the comments)',
  'paths:',
  '    lock_dir: /var/lock   # flock(1) scripts use the same',
  '',
  'slots:',
  '    # the two boards on the left',
  '    hut-01:',
  "        serial: 'usb-Silicon_Labs_CP2102N_a4c1d2-if00-port0'  # replaced 2026-02",
  '        labels: [esp32, esp32-hut-01]',
  '',
  '    "hut-02":',
  '        serial: "usb-FTDI_FT232R_A10K1234-if00-port0"',
  '        labels:',
  '          - esp32',
  '          - esp32-hut-02',
  '        power: {backend: command, on: [uhubctl, -a, on], off: [uhubctl, -a, off]}',
  '',
  'home_assistant:',
  '    url: http://homeassistant.local:8123 # local',
  '',
].join('\n');

test('a commented, hand-formatted hutctl.yaml: only the new and changed slot lines differ, byte for byte', async () => {
  for (const newline of ['\n', '\r\n']) {
    const dir = tempDir();
    const real = join(dir, 'real');
    mkdirSync(real);
    const config = join(real, 'hutctl.yaml');
    writeFileSync(config, HAND.replaceAll('\n', newline));
    chownSync(config, 65534, 100);
    chmodSync(config, 0o640);
    symlinkSync(config, join(dir, 'hutctl.yaml'));
    const map = {
      'hut-01': { serial_by_id: 'usb-Silicon_Labs_CP2102N_ffff01-if00-port0' },
      'hut-02': { serial_by_id: 'usb-FTDI_FT232R_A10K1234-if00-port0' },
      'hut-03': {
        serial_by_id: '/dev/serial/by-id/usb-1a86_USB2.0-Ser_-if00-port0',
        profile: 'muse',
      },
    };
    writeFileSync(join(dir, 'map.json'), JSON.stringify(map));
    const r = await runCli([
      '--config',
      join(dir, 'hutctl.yaml'),
      'slot',
      'import',
      join(dir, 'map.json'),
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      config: join(dir, 'hutctl.yaml'),
      added: ['hut-03'],
      updated: ['hut-01'],
      unchanged: ['hut-02'],
    });
    const lines = HAND.split('\n');
    lines[7] = "        serial: 'usb-Silicon_Labs_CP2102N_ffff01-if00-port0'  # replaced 2026-02";
    lines.splice(
      16,
      0,
      '    hut-03:',
      '        serial: /dev/serial/by-id/usb-1a86_USB2.0-Ser_-if00-port0',
      '        profile: muse',
      '        labels: [esp32, esp32-hut-03]',
    );
    assert.equal(readFileSync(config, 'utf8'), lines.join(newline));
    assert.ok(lstatSync(join(dir, 'hutctl.yaml')).isSymbolicLink(), 'the link stays a link');
    const st = statSync(config);
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o640, 65534, 100]);
    assert.deepEqual(readdirSync(real), ['hutctl.yaml'], 'nothing left beside it');
    const again = await runCli([
      '--config',
      join(dir, 'hutctl.yaml'),
      'slot',
      'import',
      join(dir, 'map.json'),
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      readFileSync(config, 'utf8'),
      lines.join(newline),
      'a second import changes nothing',
    );
  }
});

test('a serial that would break the YAML is refused in one line, the file untouched', async () => {
  const dir = tempDir();
  const config = join(dir, 'hutctl.yaml');
  writeFileSync(config, HAND);
  const r = await runCli(['--config', config, 'slot', 'import', '-'], {
    input: JSON.stringify({ 'hut-04': { serial_by_id: 'usb-x\n  evil: true' } }),
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^hutctl: stdin: \$\["hut-04"\]\.serial_by_id: a serial path holds letters/,
  );
  assert.equal(readFileSync(config, 'utf8'), HAND);
});

test("a hutctl.yaml over the config loader's 1 MiB is refused, not edited, naming it", async () => {
  const dir = tempDir();
  const config = join(dir, 'hutctl.yaml');
  // Under the 8 MiB a team document may have, over what the loader reads as a config.
  const big = `${HAND}# ${'x'.repeat(2 * 1024 * 1024)}\n`;
  writeFileSync(config, big);
  for (const dryRun of [[], ['--dry-run']]) {
    const r = await runCli(['--config', config, 'slot', 'import', ...dryRun, '-'], {
      input: JSON.stringify({ 'hut-04': { serial_by_id: 'usb-x' } }),
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `hutctl: ${config}: 2.0 MiB is more than the 1.0 MiB such a file may have\n`,
      dryRun.join(' '),
    );
    assert.equal(readFileSync(config, 'utf8'), big);
  }
});

test('a hutctl.yaml just under 1 MiB: a read or an edit past it says exact bytes, with a hint for a config', async () => {
  const LIMIT = 1024 * 1024;
  const dir = tempDir();
  const config = join(dir, 'hutctl.yaml');
  // One byte over: "1.0 MiB is more than the 1.0 MiB" would say nothing.
  const over = `${HAND}# ${'x'.repeat(LIMIT - Buffer.byteLength(HAND) - 2)}\n`;
  writeFileSync(config, over);
  const input = JSON.stringify({ 'hut-04': { serial_by_id: 'usb-x' } });
  const read = await runCli(['--config', config, 'slot', 'import', '-'], { input });
  assert.equal(read.code, 2, read.stderr);
  assert.equal(
    read.stderr,
    `hutctl: ${config}: ${LIMIT + 1} bytes is more than the ${LIMIT} (1.0 MiB) such a file may have\n`,
  );
  // Just under: the edit would pass it.
  const under = over.slice(0, -4) + '\n';
  writeFileSync(config, under);
  const edit = await runCli(['--config', config, 'slot', 'import', '-'], { input });
  assert.equal(edit.code, 2, edit.stderr);
  const [line, hint, ...rest] = edit.stderr.split('\n');
  assert.match(
    line!,
    new RegExp(
      `^hutctl: ${config}: the edit would make it 10\\d{5} bytes, more than the ${LIMIT} \\(1\\.0 MiB\\) hutctl reads of such a file; nothing was changed$`,
    ),
  );
  assert.equal(
    hint,
    '  remove what does not belong in hutctl.yaml (a pasted file, long comments), then run this again',
  );
  assert.deepEqual(rest, ['']);
  assert.equal(readFileSync(config, 'utf8'), under);
});

const LAYOUTS = [
  HAND,
  'slots:\n  hut-01:\n    serial: a\n',
  'slots:\n  hut-01: {serial: a, labels: [x]}\n  hut-02:\n    serial: "b" # two\n',
  'slots: {hut-01: {serial: a}}\n',
  'slots: {}\n',
  'slots:\n',
  'slots: ~ # none yet\n',
  '# nothing configured yet\n',
  '',
  'paths:\n  lock_dir: /tmp\n',
  'paths: {lock_dir: /tmp}',
  'slots:\n  hut-09:\n    power: {backend: command, on: [a], off: [b]}\n',
];

const serial = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_./-]{1,40}$/),
  fc.constantFrom(
    'null',
    'true',
    '1.5',
    '0x1f',
    'a: b',
    '#x',
    "it's",
    'say "hi"',
    '[x]',
    '- y',
    ' lead',
    'é😀',
    'a,b',
    '{x}',
    '*ref',
    '&anchor',
    '!tag',
    '%x',
    '@x',
    '`x`',
    '|',
  ),
);
const slotMap = fc.dictionary(
  fc.constantFrom('hut-01', 'hut-02', 'hut-03', 'hut-09', 'null', 'true', 'y', 'hut-1e3'),
  fc.record({
    serial,
    profile: fc.option(serial, { nil: undefined }),
    labels: fc.array(serial, { minLength: 1, maxLength: 3 }),
  }),
  { minKeys: 1, maxKeys: 4 },
);

test('generated slot maps merge into generated layouts: the data is exactly the intended, every other line kept', () => {
  fc.assert(
    fc.property(fc.constantFrom(...LAYOUTS), slotMap, (text, slots) => {
      const merged = mergeSlots(text, slots as Record<string, SlotEntry>, 'hutctl.yaml');
      const old = (parse(text) ?? {}) as Record<string, unknown>;
      const expected = structuredClone(old);
      const map = (expected.slots ?? {}) as Record<string, Record<string, unknown>>;
      expected.slots = map;
      for (const [id, e] of Object.entries(slots)) {
        if (map[id] === undefined)
          map[id] = {
            serial: e.serial,
            ...(e.profile === undefined ? {} : { profile: e.profile }),
            labels: e.labels,
          };
        else map[id] = { ...map[id], serial: e.serial };
      }
      assert.deepEqual(parse(merged.text) ?? {}, expected);
      // Every line of the original is still there, in order, except a changed serial's line
      // and a line a flow map or `~` was written into.
      const a = text.split('\n');
      const b = merged.text.split('\n');
      let j = 0;
      let missing = 0;
      for (const line of a) {
        const k = b.indexOf(line, j);
        if (k < 0) missing++;
        else j = k + 1;
      }
      assert.ok(missing <= merged.updated.length + 1, `${missing} original lines changed`);
      if (!/[{~]/.test(text) && merged.updated.length === 0) assert.equal(missing, 0);
    }),
    RUNS(3000),
  );
});

test('a slot map key the schema would skip (__proto__) is refused, not silently ignored', async () => {
  const dir = tempDir();
  const config = join(dir, 'hutctl.yaml');
  writeFileSync(config, HAND);
  const r = await runCli(['--config', config, 'slot', 'import', '-'], {
    input: '{"__proto__": {"serial_by_id": "usb-x"}}',
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^hutctl: stdin: \$\.__proto__: slot: lower-case letters, digits and '-'/m,
  );
  assert.equal(readFileSync(config, 'utf8'), HAND);
  // Any other key its rule refuses says which key and which rule, as hutctl.yaml's loader does.
  const bad = await runCli(['--config', config, 'slot', 'import', '-'], {
    input: '{"hut-01": {"serial_by_id": "usb-x"}, "Hut 02": {"serial_by_id": "usb-y"}}',
  });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(
    bad.stderr,
    /^hutctl: stdin: \$\["Hut 02"\]: slot: lower-case letters, digits and '-'/m,
  );
  assert.doesNotMatch(bad.stderr, /Invalid key/);
  assert.equal(readFileSync(config, 'utf8'), HAND);
});
