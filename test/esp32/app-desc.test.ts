/** `esp_app_desc_t` and `esp_bootloader_desc_t` at image offset 0x20 (§4.2, §4.3). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  buildAppDescription,
  buildBootloaderDescription,
  buildImage,
  ELF_SHA256_OFFSET,
  readAppDescription,
  readBootloaderDescription,
} from '../../src/esp32/index.ts';
import { RUNS } from '../support/hostile.ts';

const SHA = '07562ee9c224bd53ab2a326efab7e2cc2a5a0219c9042b8722f3495db4299943';
const text = (bytes: Uint8Array, at: number, length: number) =>
  Buffer.from(bytes.subarray(at, at + length)).toString('latin1');

/** An app image whose first (DROM) segment starts with the description, as the linker puts it. */
function appWith(desc: Uint8Array): Uint8Array {
  const drom = new Uint8Array(0x200);
  drom.set(desc);
  return buildImage({ entry: 0x400811f4, segments: [{ addr: 0x3f400020, data: drom }] });
}

describe('esp_app_desc_t', () => {
  test('sits at image offset 0x20 with every field where esp_app_desc.h puts it; the ELF SHA-256 at 0xB0', () => {
    const image = appWith(
      buildAppDescription({
        secureVersion: 3,
        version: '1.2.3',
        projectName: 'hello_world',
        time: '12:51:54',
        date: 'Jun  8 2023',
        idfVer: 'v5.0.1-751-g96c4ec8df2',
        appElfSha256: SHA,
        minEfuseBlkRevFull: 0,
        maxEfuseBlkRevFull: 99,
        mmuPageSize: 16,
      }),
    );
    const b = Buffer.from(image);
    assert.equal(b.readUInt32LE(0x20), 0xabcd5432);
    assert.deepEqual([...image.subarray(0x20, 0x24)], [0x32, 0x54, 0xcd, 0xab]);
    assert.equal(b.readUInt32LE(0x24), 3, 'secure_version');
    assert.equal(text(image, 0x30, 6), '1.2.3\0');
    assert.equal(text(image, 0x50, 12), 'hello_world\0');
    assert.equal(text(image, 0x70, 9), '12:51:54\0');
    assert.equal(text(image, 0x80, 12), 'Jun  8 2023\0');
    assert.equal(text(image, 0x90, 23), 'v5.0.1-751-g96c4ec8df2\0');
    assert.equal(ELF_SHA256_OFFSET, 0xb0);
    assert.equal(b.subarray(0xb0, 0xd0).toString('hex'), SHA);
    assert.deepEqual([b.readUInt16LE(0xd0), b.readUInt16LE(0xd2), b[0xd4]], [0, 99, 16]);
    assert.deepEqual(readAppDescription(image), {
      secureVersion: 3,
      version: '1.2.3',
      projectName: 'hello_world',
      time: '12:51:54',
      date: 'Jun  8 2023',
      idfVer: 'v5.0.1-751-g96c4ec8df2',
      appElfSha256: SHA,
      minEfuseBlkRevFull: 0,
      maxEfuseBlkRevFull: 99,
      mmuPageSize: 16,
      spiFlashMode: 0,
    });
  });

  test('a version longer than 31 bytes is cut to keep its NUL, as in the real v5.0.1 build', () => {
    const desc = buildAppDescription({ version: 'qa-test-v5.0.2-20230428-283-g96c4ec8df2' });
    assert.equal(desc.length, 256);
    assert.equal(desc[0x10 + 31], 0);
    assert.equal(readAppDescription(appWith(desc))!.version, 'qa-test-v5.0.2-20230428-283-g96');
    // Never inside a UTF-8 sequence.
    const accented = buildAppDescription({ projectName: `${'a'.repeat(30)}é` });
    assert.equal(readAppDescription(appWith(accented))!.projectName, 'a'.repeat(30));
  });

  test('no magic word at 0x20 (or too few bytes) is no description', () => {
    const image = appWith(buildAppDescription({}));
    image[0x20] = 0;
    assert.equal(readAppDescription(image), null);
    assert.equal(readAppDescription(new Uint8Array(0x100)), null);
    assert.throws(() => buildAppDescription({ appElfSha256: 'not hex' }), TypeError);
  });
});

describe('esp_bootloader_desc_t', () => {
  test('80 bytes at 0x20: magic 0x50, secure_version, version, idf_ver, date_time', () => {
    const desc = buildBootloaderDescription({
      secureVersion: 2,
      version: 1,
      idfVer: 'v5.5.4',
      dateTime: 'Mar 31 2026 12:02:40',
    });
    assert.equal(desc.length, 80);
    const image = buildImage({
      entry: 0x400805f0,
      segments: [{ addr: 0x3fff0030, data: Uint8Array.from([...desc, ...new Uint8Array(48)]) }],
    });
    const b = Buffer.from(image);
    assert.deepEqual([...image.subarray(0x20, 0x24)], [0x50, 0, 0, 2]);
    assert.equal(b.readUInt32LE(0x24), 1);
    assert.equal(text(image, 0x28, 7), 'v5.5.4\0');
    assert.equal(text(image, 0x48, 21), 'Mar 31 2026 12:02:40\0');
    assert.deepEqual(readBootloaderDescription(image), {
      secureVersion: 2,
      version: 1,
      idfVer: 'v5.5.4',
      dateTime: 'Mar 31 2026 12:02:40',
    });
  });

  test('a bootloader without one (IDF v5.0) reads as null', () => {
    const image = buildImage({
      entry: 0x40080650,
      segments: [{ addr: 0x3fff0030, data: new Uint8Array(128).fill(0xff) }],
    });
    assert.equal(readBootloaderDescription(image), null);
  });
});

test('random bytes never crash the description readers', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc.uint8Array({ minLength: 300, maxLength: 400 }).map((b) => {
          b.set([0x32, 0x54, 0xcd, 0xab], 0x20);
          return b;
        }),
        fc.uint8Array({ minLength: 120, maxLength: 200 }).map((b) => {
          b[0x20] = 0x50;
          return b;
        }),
      ),
      (bytes) => {
        const app = readAppDescription(bytes);
        assert.ok(app === null || /^[0-9a-f]{64}$/.test(app.appElfSha256));
        const boot = readBootloaderDescription(bytes);
        assert.ok(boot === null || typeof boot.idfVer === 'string');
      },
    ),
    RUNS(500),
  );
});
