/** `hutctl sim …`: a simulated farm (PTY boards, simulated Home Assistant) for demos and tests. */
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { HutError } from '../../errors/index.ts';
import { FileReadError, readTextFile } from '../../files/index.ts';
import { isLoopback } from '../../http/loopback.ts';
import { BOARD_MODES, RELAY_FAILURES } from '../../sim/faults.ts';
import { shellQuote } from '../../transport/index.ts';
import { withExamples } from '../help.ts';
import { wholeNumber } from '../numbers.ts';
import { note, printJson, printLine } from '../output.ts';

const DEFAULT_DIR = '.hutctl/sim';

export function register(program: Command): void {
  const sim = program
    .command('sim')
    .description('a simulated farm: boards on real PTYs, a simulated Home Assistant powering them');

  withExamples(
    sim
      .command('up')
      .description(
        'start the farm and keep it running (Ctrl-C stops it); writes <dir>/hutctl.yaml for it',
      )
      .option(
        '--dir <dir>',
        'where the farm lives (by-id links, config, locks, evidence)',
        DEFAULT_DIR,
      )
      .option('--slots <n>', 'number of boards', '2')
      .option('--latency-ms <ms>', 'delay every Home Assistant answer', '0')
      .option('--json', 'print the farm description as JSON once it is up'),
    [
      ['hutctl sim up', 'two simulated boards in .hutctl/sim, until Ctrl-C'],
      ['hutctl sim up --slots 4 --latency-ms 200', 'four boards and a slow Home Assistant'],
      ['hutctl sim up --dir /tmp/farm --json', 'a farm elsewhere; print its description'],
    ],
  ).action(async (options: { dir: string; slots: string; latencyMs: string; json?: boolean }) => {
    const slots = wholeNumber(options.slots, '--slots', 1, 64);
    // The boards are PTYs made by socat: say so plainly rather than fail on a spawn.
    const { spawnSync } = await import('node:child_process');
    if (spawnSync('sh', ['-c', 'command -v socat'], { stdio: 'ignore' }).status !== 0)
      throw new HutError(
        'IO',
        'socat is not installed: the simulated boards sit on PTYs it makes',
        {
          hint: 'sudo apt-get install -y socat',
        },
      );
    const { startSimFarm } = await import('../../sim/index.ts');
    const farm = await startSimFarm({
      dir: options.dir,
      slots,
      latencyMs: wholeNumber(options.latencyMs, '--latency-ms', 0, 60_000),
    });
    const state = readState(farm.dir);
    if (options.json) printJson({ ...state, config: farm.configPath });
    else {
      printLine(`simulated farm up: ${slots} board(s), Home Assistant at ${farm.ha.url}`);
      printLine(
        `config: ${farm.configPath}   (use: HUTCTL_CONFIG=${farm.configPath} hutctl slot list)`,
      );
      printLine('Ctrl-C to stop');
    }
    await new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await farm.stop();
    note('hutctl: simulated farm stopped');
  });

  withExamples(
    sim
      .command('board')
      .description('make a simulated board misbehave, or drop off USB and come back')
      .argument('<slot>', 'a simulated slot, e.g. hut-01')
      .addOption(
        new Option('--mode <mode>', 'how it boots, from its next boot on').choices(BOARD_MODES),
      )
      .option('--replug', 're-enumerate now: the by-id link goes away and comes back (new tty)')
      .option(
        '--corrupt-blocks <n>',
        'the next <n> flash data blocks sent to it arrive corrupted (the ROM answers 0x07)',
      )
      .option('--dir <dir>', 'the farm directory', DEFAULT_DIR),
    [
      ['hutctl sim board hut-02 --mode panic', 'its next boots crash and reboot'],
      ['hutctl sim board hut-02 --replug', 'drop off USB and come back on another tty'],
      ['hutctl sim board hut-01 --corrupt-blocks 2', 'the next two flash blocks arrive corrupted'],
    ],
  ).action(
    async (
      slot: string,
      options: { mode?: string; replug?: boolean; corruptBlocks?: string; dir: string },
    ) => {
      const { checkId } = await import('../../contract/index.ts');
      checkId('slot', slot);
      const body: Record<string, unknown> = options.mode ? { mode: options.mode } : {};
      if (options.corruptBlocks !== undefined)
        body.corrupt_blocks = wholeNumber(options.corruptBlocks, '--corrupt-blocks', 0, 1_000_000);
      printJson(
        await control(options.dir, `/sim/boards/${slot}${options.replug ? '/replug' : ''}`, body),
      );
    },
  );

  withExamples(
    sim
      .command('relay')
      .description("inject a Home Assistant failure for a slot's relay")
      .argument('<slot>', 'a simulated slot, e.g. hut-01')
      .addOption(
        new Option('--failure <kind>', 'how the relay fails (none: it works)')
          .choices(RELAY_FAILURES)
          .makeOptionMandatory(),
      )
      .option('--dir <dir>', 'the farm directory', DEFAULT_DIR),
    [
      ['hutctl sim relay hut-01 --failure stuck', "hut-01's relay ignores every switch"],
      [
        'hutctl sim relay hut-01 --failure error_text',
        'Home Assistant answers 500 with a text body',
      ],
      ['hutctl sim relay hut-01 --failure none', 'the relay works again'],
    ],
  ).action(async (slot: string, options: { failure: string; dir: string }) => {
    const state = readState(options.dir);
    const entity = Object.hasOwn(state.slots, slot) ? state.slots[slot]?.entity : undefined;
    if (!entity) throw new HutError('INPUT', `no simulated slot ${slot}`);
    printJson(await control(options.dir, `/sim/entities/${entity}`, { failure: options.failure }));
  });

  withExamples(
    sim
      .command('latency')
      .description('delay every Home Assistant answer by <ms>')
      .argument('<ms>', 'milliseconds, 0 to 60000 (0: answer at once)')
      .option('--dir <dir>', 'the farm directory', DEFAULT_DIR),
    [
      ['hutctl sim latency 500', 'every Home Assistant answer half a second late'],
      ['hutctl sim latency 0', 'answer at once again'],
    ],
  ).action(async (ms: string, options: { dir: string }) => {
    printJson(await control(options.dir, '/sim/latency', { ms: wholeNumber(ms, 'ms', 0, 60_000) }));
  });
}

interface SimStateFile {
  pid: number;
  ha_url: string;
  token_file: string;
  slots: Record<string, { link: string; entity: string; flash?: string | null }>;
}

/** sim.json is a few hundred bytes per board; the token file one line. */
const STATE_MAX_BYTES = 1024 * 1024;
const TOKEN_MAX_BYTES = 4 * 1024;
/** Whose farm state and token are believed: this user's, or root's. */
const OWNERS = [process.getuid?.() ?? 0, 0];

/**
 * The farm's state, from a directory the user names (`--dir`): read like any file named from
 * outside, so a FIFO or a device there is one line, never a hang.
 */
function readState(dir: string): SimStateFile {
  const path = join(resolve(dir), 'sim.json');
  const start = { hint: "start one with 'hutctl sim up'" };
  let text: string;
  try {
    // It names where the token goes: only this user's (or root's) own farm is believed.
    text = readTextFile(path, STATE_MAX_BYTES, { owners: OWNERS });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.code === 'ENOENT')
      throw new HutError('NOT_FOUND', `no simulated farm at ${dir} (${path} is missing)`, start);
    throw new HutError('NOT_FOUND', `no simulated farm at ${dir}: ${error.message}`, start);
  }
  let state: Partial<SimStateFile> | null = null;
  try {
    state = JSON.parse(text) as Partial<SimStateFile> | null;
  } catch {}
  if (
    typeof state?.ha_url !== 'string' ||
    typeof state.token_file !== 'string' ||
    typeof state.slots !== 'object' ||
    state.slots === null
  )
    throw new HutError(
      'NOT_FOUND',
      `no simulated farm at ${dir}: ${path} is not the state of one`,
      start,
    );
  // A farm `sim up` started: its Home Assistant on this machine's loopback, its token beside it.
  let url: URL | null = null;
  try {
    url = new URL(state.ha_url);
  } catch {}
  if (
    url?.protocol !== 'http:' ||
    !isLoopback(url.hostname.replace(/^\[(.*)\]$/, '$1')) ||
    resolve(state.token_file) !== join(resolve(dir), 'ha-token')
  )
    throw new HutError(
      'INPUT',
      `${path} does not describe a farm 'hutctl sim up' started (its Home Assistant must be on 127.0.0.1 and its token ${join(resolve(dir), 'ha-token')})`,
      { hint: "stop what is there and start a farm with 'hutctl sim up'" },
    );
  return state as SimStateFile;
}

async function control(dir: string, path: string, body: unknown): Promise<unknown> {
  const state = readState(dir);
  let token: string;
  try {
    token = readTextFile(state.token_file, TOKEN_MAX_BYTES, { owners: OWNERS }).trim();
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new HutError('IO', `the simulated farm's token file ${error.message}`, {
      hint: "stop the farm and start it again with 'hutctl sim up'",
    });
  }
  let response: Response;
  try {
    response = await fetch(`${state.ha_url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new HutError('CONNECT', `the simulated farm at ${dir} is not running`, {
      hint: `start it with: hutctl sim up${dir === DEFAULT_DIR ? '' : ` --dir ${shellQuote(dir)}`}`,
    });
  }
  const answer = (await response.json()) as { message?: string };
  if (!response.ok) throw new HutError('INPUT', answer.message ?? `HTTP ${response.status}`);
  return answer;
}
