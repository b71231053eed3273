/**
 * The simulated farm behind `hutctl sim up`: N boards on PTYs, a Home Assistant whose switches
 * power them, and a ready hutctl.yaml that points at both. Nothing leaves 127.0.0.1.
 */

import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { CONFIG_SCHEMA_COMMENT } from '../contract/schema-urls.ts';
import { makeDirs } from '../files/dirs.ts';
import { privateDir, writeFileAtomic } from '../files/index.ts';
import { READY_MARKER, SimBoard } from './board.ts';
import { BOARD_MODES, type BoardMode, type EntityFailure, RELAY_FAILURES } from './faults.ts';
import { type SimHomeAssistant, startSimHomeAssistant } from './ha-server.ts';

export interface SimFarmOptions {
  dir: string;
  slots: number;
  latencyMs?: number;
  haPort?: number;
}

export interface SimFarm {
  dir: string;
  configPath: string;
  ha: SimHomeAssistant;
  boards: Map<string, SimBoard>;
  stop(): Promise<void>;
}

/** What a running farm leaves in `<dir>/sim.json` so other commands can reach it. */
export interface SimState {
  pid: number;
  ha_url: string;
  token_file: string;
  /** Per slot: its by-id link, its power switch, and the file that holds its flash. */
  slots: Record<string, { link: string; entity: string; flash: string | null }>;
}

const PROFILES = ['i2s', 'muse', 'squeezeamp'];

export const slotIdOf = (n: number) => `hut-${String(n).padStart(2, '0')}`;
export const entityOf = (slot: string) => `switch.${slot.replace('-', '_')}_power`;
export const linkNameOf = (n: number) =>
  `usb-Espressif_SimBoard_SIM${String(n).padStart(4, '0')}-if00-port0`;

export async function startSimFarm(options: SimFarmOptions): Promise<SimFarm> {
  const dir = resolve(options.dir);
  const byId = join(dir, 'by-id');
  for (const sub of ['by-id', 'locks', 'flash']) makeDirs(join(dir, sub));
  // Evidence and state as hutctl keeps them anywhere: private to this user.
  for (const sub of ['state', 'evidence']) privateDir(join(dir, sub));
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'ha-token');
  // Atomically: whatever was left at that name (a link, a FIFO) is replaced, never written through.
  await writeFileAtomic(tokenFile, `${token}\n`, { mode: 0o600 });

  const boards = new Map<string, SimBoard>();
  const byEntity = new Map<string, SimBoard>();
  for (let n = 1; n <= options.slots; n++) {
    const board = new SimBoard(slotIdOf(n), byId, linkNameOf(n), join(dir, 'flash'));
    boards.set(board.slot, board);
    byEntity.set(entityOf(board.slot), board);
  }
  const ha = await startSimHomeAssistant({
    token,
    entities: [...byEntity.keys()],
    ...(options.haPort ? { port: options.haPort } : {}),
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
    onSwitch: (entity, state) => {
      const board = byEntity.get(entity);
      if (board) void (state === 'on' ? board.powerOn() : board.powerOff());
    },
    onControl: (path, body) => control(path, body),
  });

  const control = async (path: string, body: Record<string, unknown>) => {
    const board = /^\/sim\/boards\/([a-z0-9-]+)(\/replug)?$/.exec(path);
    if (board) {
      const target = boards.get(board[1]!);
      if (!target) throw new Error(`no simulated board ${board[1]}`);
      if (board[2]) await target.replug(Number(body.gap_ms ?? 200));
      if (body.mode !== undefined) {
        if (!BOARD_MODES.includes(body.mode as BoardMode))
          throw new Error(`mode must be one of ${BOARD_MODES.join(', ')}`);
        target.mode = body.mode as BoardMode;
      }
      if (body.corrupt_blocks !== undefined) {
        const blocks = body.corrupt_blocks;
        if (typeof blocks !== 'number' || !Number.isInteger(blocks) || blocks < 0 || blocks > 1e6)
          throw new Error('corrupt_blocks must be a whole number from 0 to 1000000');
        target.corruptBlocks(blocks);
      }
      return {
        slot: target.slot,
        mode: target.mode,
        powered: target.powered,
        boots: target.boots,
        download_mode: target.downloadMode,
        flashed: target.flash.touched,
      };
    }
    const entity = /^\/sim\/entities\/(.+)$/.exec(path);
    if (entity) {
      const target = ha.entities.get(entity[1]!);
      if (!target) throw new Error(`no entity ${entity[1]}`);
      if (body.failure !== undefined) {
        if (!RELAY_FAILURES.includes(body.failure as EntityFailure))
          throw new Error(`failure must be one of ${RELAY_FAILURES.join(', ')}`);
        target.failure = body.failure as EntityFailure;
        if (target.failure === 'unavailable') target.state = 'unavailable';
        else if (target.state === 'unavailable')
          target.state = byEntity.get(target.entity_id)?.powered ? 'on' : 'off';
      }
      return target;
    }
    if (path === '/sim/latency') {
      ha.latencyMs = Number(body.ms ?? 0);
      return { latency_ms: ha.latencyMs };
    }
    throw new Error(`unknown control ${path}`);
  };

  // Boards start powered, as a farm normally is.
  for (const [entity, board] of byEntity) {
    ha.entities.get(entity)!.state = 'on';
    await board.powerOn();
  }

  const configPath = join(dir, 'hutctl.yaml');
  await writeFileAtomic(configPath, farmConfig(dir, ha.url, tokenFile, options.slots));
  const state: SimState = {
    pid: process.pid,
    ha_url: ha.url,
    token_file: tokenFile,
    slots: Object.fromEntries(
      [...boards.values()].map((b) => [
        b.slot,
        { link: b.linkPath, entity: entityOf(b.slot), flash: b.flash.path },
      ]),
    ),
  };
  await writeFileAtomic(join(dir, 'sim.json'), `${JSON.stringify(state, null, 2)}\n`);

  return {
    dir,
    configPath,
    ha,
    boards,
    async stop() {
      // Closed first, so that switching off opens no spare relay.
      for (const board of boards.values()) board.close();
      await Promise.all([...boards.values()].map((b) => b.powerOff()));
      await ha.close();
    },
  };
}

function farmConfig(dir: string, url: string, tokenFile: string, slots: number): string {
  const lines = [
    CONFIG_SCHEMA_COMMENT,
    '# Written by `hutctl sim up`: a simulated farm on this machine (PTY boards, simulated Home Assistant).',
    'targets:',
    '  runner: {transport: local}',
    '  infra: {transport: local}',
    'paths:',
    `  lock_dir: ${join(dir, 'locks')}`,
    `  cancel_dir: ${join(dir, 'locks')}`,
    `  evidence_dir: ${join(dir, 'evidence')}`,
    `  slot_lock_dir: ${join(dir, 'locks')}`,
    `  state_dir: ${join(dir, 'state')}`,
    'serial:',
    `  by_id_dir: ${join(dir, 'by-id')}`,
    'home_assistant:',
    `  url: ${url}`,
    `  token_file: ${tokenFile}`,
    '  timeout_sec: 5',
    '  confirm_timeout_sec: 5',
    'artifacts:',
    `  store: ${join(dir, 'artifacts')}`,
    'profiles:',
    ...PROFILES.flatMap((name) => [
      `  ${name}:`,
      '    flash: builtin',
      `    boot_marker: '${READY_MARKER}'`,
      '    boot_timeout_sec: 5',
    ]),
    'slots:',
  ];
  for (let n = 1; n <= slots; n++) {
    const slot = slotIdOf(n);
    lines.push(
      `  ${slot}:`,
      `    serial: ${linkNameOf(n)}`,
      `    profile: ${PROFILES[(n - 1) % PROFILES.length]}`,
      `    labels: [esp32, esp32-${slot}]`,
      '    power:',
      '      backend: homeassistant',
      `      entity: ${entityOf(slot)}`,
      '      off_sec: 1',
      '      on_sec: 1',
      '      cooldown_sec: 2',
      '      max_retries: 1',
    );
  }
  return `${lines.join('\n')}\n`;
}
