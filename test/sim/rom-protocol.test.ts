/**
 * The simulated ESP32 on its PTY, driven with hand-built SLIP packets: the minimum ROM answer
 * set of reference/esp32-flashing.md §1.9 (SYNC ×8 with a value, 0x14 unsupported, READ_REG
 * magic, FLASH_BEGIN/DATA/MD5 with 4 status bytes), the checksum rule, the download-mode rule,
 * and the stub's differences once a RAM program is started.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OP, SYNC_DATA } from '../../src/sim/esp32/index.ts';
import { SimBoard } from '../../src/sim/index.ts';
import { tempDir } from '../support/cli.ts';
import { HostLine, le32 } from '../support/serial.ts';

let dir: string;
let board: SimBoard;
let line: HostLine;

before(async () => {
  dir = tempDir('hutctl-rom-');
  board = new SimBoard('hut-01', dir, 'usb-sim-if00', join(dir, 'flash'));
  await board.powerOn();
  line = await HostLine.open(board.linkPath);
  await line.drain(300); // the boot log of a board that was never flashed
});
after(async () => {
  await line.close();
  await board.powerOff();
  board.close();
});

test('a SYNC finds the chip waiting for download: the ROM lines, then 8 answers with a value', async () => {
  assert.equal(board.downloadMode, false);
  await line.send(OP.SYNC, SYNC_DATA);
  const answers = await line.answers(8);
  assert.match(
    line.text,
    /rst:0x1 \(POWERON_RESET\),boot:0x3 \(DOWNLOAD_BOOT\(UART0\/UART1\/SDIO_REI_REO_V2\)\)\r\nwaiting for download\r\n$/,
  );
  for (const answer of answers) {
    assert.equal(answer.op, OP.SYNC);
    assert.equal(answer.value, 0x20120707);
    assert.deepEqual([...answer.data], [0, 0, 0, 0]);
  }
  assert.equal(board.downloadMode, true);
});

test('GET_SECURITY_INFO is unsupported the ESP32 ROM way: 8 × 01 05 under another command byte', async () => {
  await line.send(OP.GET_SECURITY_INFO);
  const answers = await line.answers(8);
  for (const answer of answers) {
    assert.notEqual(answer.op, OP.GET_SECURITY_INFO);
    assert.deepEqual([...answer.data], [1, 5, 0, 0]);
  }
});

test('READ_REG answers the ESP32 magic at 0x40001000 and a 4-byte status', async () => {
  await line.send(OP.READ_REG, le32(0x40001000));
  const [answer] = await line.answers(1);
  assert.equal(answer!.op, OP.READ_REG);
  assert.equal(answer!.value, 0x00f01d83);
  assert.deepEqual([...answer!.data], [0, 0, 0, 0]);
});

test('the SPI controller runs RDID through WRITE_REG/READ_REG: a 4 MB chip', async () => {
  const base = 0x3ff42000;
  const write = async (addr: number, value: number) => {
    await line.send(OP.WRITE_REG, le32(addr, value, 0xffffffff, 0));
    assert.deepEqual([...(await line.answers(1))[0]!.data], [0, 0, 0, 0]);
  };
  await write(base + 0x2c, 23); // MISO 24 bits
  await write(base + 0x1c, (1 << 31) | (1 << 28)); // USR: command + MISO
  await write(base + 0x24, (7 << 28) | 0x9f); // USR2: RDID
  await write(base + 0x80, 0);
  await write(base, 1 << 18); // go
  await line.send(OP.READ_REG, le32(base));
  assert.equal((await line.answers(1))[0]!.value & (1 << 18), 0, 'the command is done');
  await line.send(OP.READ_REG, le32(base + 0x80));
  const id = (await line.answers(1))[0]!.value;
  assert.equal((id >> 16) & 0xff, 0x16, `flash id 0x${id.toString(16)}`);
});

test('FLASH_BEGIN / FLASH_DATA / SPI_FLASH_MD5 in the ROM: written, persisted, lower-case ASCII MD5', async () => {
  const block = randomBytes(0x400);
  await line.send(OP.FLASH_BEGIN, le32(0x1000, 1, 0x400, 0x9000));
  assert.deepEqual([...(await line.answers(1))[0]!.data], [0, 0, 0, 0]);
  await line.send(OP.FLASH_DATA, Buffer.concat([le32(0x400, 0, 0, 0), block]));
  const [data] = await line.answers(1);
  assert.equal(data!.op, OP.FLASH_DATA);
  assert.deepEqual([...data!.data], [0, 0, 0, 0]);
  await line.send(OP.SPI_FLASH_MD5, le32(0x9000, 0x400, 0, 0));
  const [md5] = await line.answers(1);
  assert.equal(md5!.data.length, 36);
  assert.equal(
    md5!.data.subarray(0, 32).toString('ascii'),
    createHash('md5').update(block).digest('hex'),
  );
  assert.deepEqual([...md5!.data.subarray(32)], [0, 0, 0, 0]);
  const file = readFileSync(join(dir, 'flash', 'hut-01.bin'));
  assert.equal(file.length, 4 * 1024 * 1024);
  assert.ok(file.subarray(0x9000, 0x9400).equals(block));
  assert.ok(
    file.subarray(0x9400, 0xa000).every((b) => b === 0xff),
    'the rest of the sector is erased',
  );
});

test('a FLASH_DATA whose checksum is wrong is refused with the ROM error 0x07 and not written', async () => {
  await line.send(OP.FLASH_BEGIN, le32(0x400, 1, 0x400, 0xa000));
  await line.answers(1);
  const block = Buffer.alloc(0x400, 0x42);
  await line.send(OP.FLASH_DATA, Buffer.concat([le32(0x400, 0, 0, 0), block]), 0x12);
  const [answer] = await line.answers(1);
  assert.deepEqual([...answer!.data], [1, 7, 0, 0]);
  const file = readFileSync(join(dir, 'flash', 'hut-01.bin'));
  assert.ok(file.subarray(0xa000, 0xa400).every((b) => b === 0xff));
});

test('the stub: MEM upload, OHAI, then 2 status bytes, 8 SYNC answers of 0 and a raw 16-byte MD5', async () => {
  const code = randomBytes(0x100);
  await line.send(OP.MEM_BEGIN, le32(code.length, 1, 0x1800, 0x400a8000));
  assert.deepEqual([...(await line.answers(1))[0]!.data], [0, 0, 0, 0]);
  await line.send(OP.MEM_DATA, Buffer.concat([le32(code.length, 0, 0, 0), code]));
  assert.deepEqual([...(await line.answers(1))[0]!.data], [0, 0, 0, 0]);
  await line.send(OP.MEM_END, le32(0, 0x400a902c));
  const [end, hello] = await line.answers(2);
  assert.equal(end!.op, OP.MEM_END);
  assert.deepEqual([...end!.data], [0, 0, 0, 0], 'the ROM answered MEM_END');
  assert.equal(hello!.packet.toString('latin1'), 'OHAI');
  await line.send(OP.READ_REG, le32(0x40001000));
  const [reg] = await line.answers(1);
  assert.equal(reg!.value, 0x00f01d83);
  assert.deepEqual([...reg!.data], [0, 0]);
  await line.send(OP.SYNC, SYNC_DATA);
  for (const sync of await line.answers(8)) assert.equal(sync.value, 0);
  await line.send(OP.CHANGE_BAUDRATE, le32(460800, 115200));
  assert.deepEqual([...(await line.answers(1))[0]!.data], [0, 0]);
  await line.send(OP.SPI_FLASH_MD5, le32(0x9000, 0x400, 0, 0));
  const [md5] = await line.answers(1);
  assert.equal(md5!.data.length, 18);
  const file = readFileSync(join(dir, 'flash', 'hut-01.bin'));
  assert.ok(
    md5!.data
      .subarray(0, 16)
      .equals(createHash('md5').update(file.subarray(0x9000, 0x9400)).digest()),
  );
  await line.send(OP.GET_SECURITY_INFO);
  assert.deepEqual([...(await line.answers(1))[0]!.data], [1, 0xff], 'not implemented');
});

test('FLASH_BEGIN(0,0) + FLASH_END(0) from the stub resets into the ROM, still waiting for download', async () => {
  await line.send(OP.FLASH_BEGIN, le32(0, 0, 0x4000, 0));
  await line.answers(1);
  line.text = '';
  await line.send(OP.FLASH_END, le32(0));
  assert.deepEqual([...(await line.answers(1))[0]!.data], [0, 0]);
  await line.send(OP.READ_REG, le32(0x40001000));
  assert.deepEqual([...(await line.answers(1))[0]!.data], [0, 0, 0, 0], 'the ROM again');
  assert.match(line.text, /rst:0x3 \(SW_RESET\),boot:0x3 .*\r\nwaiting for download/);
});

test('power off and on leaves download mode and keeps the flash', async () => {
  const before = readFileSync(join(dir, 'flash', 'hut-01.bin'));
  await line.close();
  await board.powerOff();
  await board.powerOn();
  assert.equal(board.downloadMode, false);
  line = await HostLine.open(board.linkPath);
  await line.drain(300);
  assert.ok(readFileSync(join(dir, 'flash', 'hut-01.bin')).equals(before));
  await line.send(OP.SYNC, SYNC_DATA);
  await line.answers(8);
  await line.send(OP.SPI_FLASH_MD5, le32(0x9000, 0x400, 0, 0));
  const [md5] = await line.answers(1);
  assert.equal(
    md5!.data.subarray(0, 32).toString('ascii'),
    createHash('md5').update(before.subarray(0x9000, 0x9400)).digest('hex'),
  );
});
