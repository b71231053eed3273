/** Finds, parses and validates hutctl.yaml (plus .lxd.env) into a resolved HutConfig. */
import { dirname, join, resolve } from 'node:path';
import { isDocument, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { skippedKeys } from '../contract/skipped-keys.ts';
import { expandHome, FileReadError, groupId, homeOf, readTextFile } from '../files/index.ts';
import {
  CONFIG_MAX_BYTES,
  inConfigHome,
  type LoadOptions,
  locateConfig,
  lxdEnvPath,
  userStateDir,
} from './find.ts';
import { readLxdEnv } from './lxd-env.ts';
import { type ConfigFile, configFileSchema } from './schema.ts';
import type { ConfigProblem, HutConfig, Slot, Target } from './types.ts';

export interface LoadResult {
  config: HutConfig;
  problems: ConfigProblem[];
}

/** Loads everything and collects every problem instead of stopping at the first. */
export function loadConfig(options: LoadOptions = {}): LoadResult {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const home = homeOf(env);
  const found = locateConfig(options);
  const file = found?.file ?? null;
  const problems: ConfigProblem[] = [];
  let parsed: ConfigFile = {};
  const lineOf = new Map<string, { line: number; column: number }>();

  if (file !== null) {
    const read = readYaml(file, problems, lineOf);
    if (read) parsed = read;
  }
  const base = file ? dirname(file) : cwd;
  const path = (value: string | undefined, fallback: string) =>
    resolve(base, expandHome(value ?? fallback, home));

  const stateDir = path(parsed.paths?.state_dir, userStateDir(env));
  // A project's hutctl.yaml keeps evidence and artifacts beside it; one in the user's or the
  // system's config directory (a service account's, however it was named) keeps them in the
  // state directory, never in ~/.config or /etc.
  const kept = (name: string) =>
    file !== null && inConfigHome(file, env, options.systemDir)
      ? join(stateDir, name)
      : `./${name}`;
  const config: HutConfig = {
    file,
    found: found && { source: found.source, why: found.why },
    targets: {},
    paths: {
      lockDir: path(parsed.paths?.lock_dir, '/tmp'),
      cancelDir: path(parsed.paths?.cancel_dir, '/tmp'),
      evidenceDir: path(parsed.paths?.evidence_dir, kept('evidence')),
      slotLockDir: path(parsed.paths?.slot_lock_dir, '/var/lock'),
      stateDir,
      shareGroup: null,
    },
    slots: {},
    profiles: {},
    vms: {},
    artifacts: { store: path(parsed.artifacts?.store, kept('artifacts')) },
    health: {
      everyJobs: parsed.health?.every_jobs ?? null,
      everyHours: parsed.health?.every_hours ?? null,
      golden: parsed.health?.golden
        ? { sha: parsed.health.golden.sha, profile: parsed.health.golden.profile ?? null }
        : null,
    },
    store: {
      ...(parsed.store?.engine === 'off'
        ? { engine: 'off' as const }
        : parsed.store?.engine === 'postgres'
          ? {
              engine: 'postgres' as const,
              url: parsed.store.url ?? null,
              urlEnv: parsed.store.url_env ?? null,
            }
          : {
              engine: 'sqlite' as const,
              path: path(parsed.store?.path, join(stateDir, 'ledger.sqlite')),
            }),
      keep: parsed.store?.keep ?? null,
    },
    serial: { byIdDir: path(parsed.serial?.by_id_dir, '/dev/serial/by-id') },
    homeAssistant: null,
    ssh: {
      controlDir: path(parsed.ssh?.control_dir, '~/.cache/hutctl/ssh'),
      controlPersistSec: parsed.ssh?.control_persist_sec ?? 60,
      connectTimeoutSec: parsed.ssh?.connect_timeout_sec ?? 10,
      serverAliveIntervalSec: parsed.ssh?.server_alive_interval_sec ?? 15,
    },
    jobs: { killGraceSec: parsed.jobs?.kill_grace_sec ?? 5 },
    secretEnv: parsed.secrets?.env ?? [],
  };

  const group = parsed.paths?.share_group;
  if (group !== undefined) {
    try {
      config.paths.shareGroup = groupId(String(group));
    } catch (error) {
      problems.push({
        file: String(file),
        path: 'paths.share_group',
        message: (error as Error).message.replace(/^paths\.share_group: /, ''),
      });
    }
  }
  for (const [name, raw] of Object.entries(parsed.targets ?? {})) {
    const at = lineOf.get(`targets.${name}`);
    const target: Target = {
      name,
      transport: raw.transport,
      sshOptions: {},
      loginShell: raw.login_shell ?? false,
      source: at ? `${file}:${at.line}` : String(file),
    };
    if (raw.workdir !== undefined) {
      target.workdir = raw.transport === 'local' ? path(raw.workdir, '.') : raw.workdir;
    }
    if (raw.codex) {
      target.codex = {
        command: raw.codex.command ?? ['codex', 'app-server'],
        ...(raw.codex.codex_home ? { codexHome: raw.codex.codex_home } : {}),
        ...(raw.codex.mcp !== undefined ? { mcp: raw.codex.mcp } : {}),
      };
    }
    if (raw.transport === 'ssh') {
      target.host = raw.host;
      if (raw.user !== undefined) target.user = raw.user;
      if (raw.port !== undefined) target.port = raw.port;
      if (raw.identity_file !== undefined) target.identityFile = path(raw.identity_file, '');
      if (raw.known_hosts !== undefined) target.knownHosts = path(raw.known_hosts, '');
      for (const [key, value] of Object.entries(raw.ssh_options ?? {})) {
        target.sshOptions[key] = String(value);
      }
    }
    config.targets[name] = target;
  }

  const ha = parsed.home_assistant;
  if (ha) {
    config.homeAssistant = {
      url: ha.url.replace(/\/+$/, ''),
      timeoutSec: ha.timeout_sec ?? 10,
      confirmTimeoutSec: ha.confirm_timeout_sec ?? 10,
      ...(ha.token_env ? { tokenEnv: ha.token_env } : {}),
      ...(ha.token_file ? { tokenFile: path(ha.token_file, '') } : {}),
    };
  }
  for (const [name, raw] of Object.entries(parsed.profiles ?? {})) {
    const markerAt = lineOf.get(`profiles.${name}.boot_marker`);
    config.profiles[name] = {
      name,
      flash: raw.flash ?? 'esptool',
      flashBaud: raw.flash_baud ?? 460800,
      artifact: raw.artifact ?? name,
      bootMarker: raw.boot_marker ?? 'app_main|Returned from app_main|ready',
      ...(markerAt ? { bootMarkerLine: markerAt.line } : {}),
      bootTimeoutSec: raw.boot_timeout_sec ?? 20,
      baud: raw.baud ?? 115200,
      serialReset: raw.serial_reset ?? true,
    };
  }
  for (const [name, raw] of Object.entries(parsed.vms ?? {})) {
    const at = lineOf.get(`vms.${name}`);
    const targetName = raw.target ?? 'runner';
    const key = path(raw.ssh_public_key ?? `~/.ssh/${targetName}_ed25519.pub`, '');
    config.vms[name] = {
      name,
      type: raw.type ?? 'virtual-machine',
      target: targetName,
      image: raw.image ?? '24.04',
      imageServer: raw.image_server ?? 'https://cloud-images.ubuntu.com/releases',
      cpu: raw.cpu ?? 4,
      memory: raw.memory ?? '8GiB',
      disk: raw.disk ?? '40GiB',
      pool: raw.pool ?? 'default',
      network: raw.network ?? 'lxdbr0',
      project: raw.project ?? 'default',
      user: raw.user ?? 'runner',
      sshPublicKey: key,
      identityFile: key.replace(/\.pub$/, ''),
      usb: Object.fromEntries(
        Object.entries(raw.usb ?? {}).map(([slot, u]) => [
          slot,
          {
            vendor: u.vendor,
            product: u.product,
            ...(u.serial !== undefined ? { serial: u.serial } : {}),
          },
        ]),
      ),
      source: at ? `${file}:${at.line}` : String(file),
    };
  }
  for (const [id, raw] of Object.entries(parsed.slots ?? {})) {
    const at = lineOf.get(`slots.${id}`);
    const slot: Slot = {
      id,
      serial: resolve(config.serial.byIdDir, expandHome(raw.serial, home)),
      labels: raw.labels ?? [],
      source: at ? `${file}:${at.line}` : String(file),
    };
    if (raw.profile) slot.profile = raw.profile;
    if (raw.power) {
      const p = raw.power;
      slot.power = {
        backend: p.backend,
        offSec: p.off_sec ?? 2,
        onSec: p.on_sec ?? 3,
        cooldownSec: p.cooldown_sec ?? 5,
        maxRetries: p.max_retries ?? 1,
        ...(p.backend === 'homeassistant' ? { entity: p.entity } : { on: p.on, off: p.off }),
        ...(p.backend === 'command' && p.status ? { status: p.status } : {}),
      };
      if (p.backend === 'homeassistant' && !ha) {
        problems.push({
          file: String(file),
          ...(at ? { line: at.line } : {}),
          path: `slots.${id}.power`,
          message:
            'the homeassistant backend needs a home_assistant: section (url, token_env or token_file)',
        });
      }
    }
    config.slots[id] = slot;
  }

  if (!config.targets.infra) {
    const lxdFile = lxdEnvPath(cwd, env);
    const lxd = readLxdEnv(lxdFile, home);
    problems.push(...lxd.problems);
    if (lxd.target) config.targets.infra = lxd.target;
  }
  return { config, problems };
}

function readYaml(
  file: string,
  problems: ConfigProblem[],
  lineOf: Map<string, { line: number; column: number }>,
): ConfigFile | null {
  let text: string;
  try {
    text = readTextFile(file, CONFIG_MAX_BYTES);
  } catch (error) {
    const reason = error instanceof FileReadError ? error.reason : String(error);
    problems.push({ file, path: '', message: `cannot read: ${reason}` });
    return null;
  }
  const counter = new LineCounter();
  if (flowDepth(text) > MAX_NESTING) {
    problems.push({
      file,
      path: '',
      message: `cannot read: nested more than ${MAX_NESTING} levels deep`,
    });
    return null;
  }
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const pos = counter.linePos(error.pos[0]);
      problems.push({
        file,
        line: pos.line,
        column: pos.col,
        path: '',
        message: error.message.split('\n')[0]!,
      });
    }
    return null;
  }
  let value: unknown;
  try {
    // Aliases are allowed, but not a billion of them (a YAML "alias bomb").
    value = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (error) {
    problems.push({ file, path: '', message: `cannot read: ${(error as Error).message}` });
    return null;
  }
  const position = (path: readonly PropertyKey[]) => {
    // The deepest node that exists along the path locates the problem.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true) as
        | { range?: number[] }
        | undefined;
      if (node && isDocument(node) === false && node.range) return counter.linePos(node.range[0]!);
    }
    return undefined;
  };
  /** Where a key (not its value) was written: a bad name is reported on its own line. */
  const keyPosition = (path: readonly PropertyKey[]) => {
    const map = doc.getIn(path.slice(0, -1) as unknown[], true);
    const pair = isMap(map)
      ? map.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path.at(-1)))
      : undefined;
    const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
    return range ? counter.linePos(range[0]) : position(path);
  };
  const result = configFileSchema.safeParse(value);
  // A record skips a `__proto__` key without a word: such a target or slot would vanish.
  const skipped = skippedKeys(configFileSchema, value);
  if (!result.success || skipped.length > 0) {
    const report = (path: readonly PropertyKey[], message: string, atKey: boolean) => {
      const pos = atKey ? keyPosition(path) : position(path);
      problems.push({
        file,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        path: path.map(String).join('.'),
        message,
      });
    };
    for (const issue of result.error?.issues ?? []) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) report([...issue.path, key], 'unknown key', true);
      } else if (issue.code === 'invalid_key') {
        // The name's own rule ("a target name is a role such as runner"), not "Invalid key".
        report(issue.path, issue.issues[0]?.message ?? issue.message, true);
      } else report(issue.path, issue.message, false);
    }
    for (const key of skipped) report(key.path, key.message, true);
    return null;
  }
  // A target is located by its key (`runner:`), not by its first field.
  for (const section of ['targets', 'slots']) {
    const map = doc.get(section, true);
    if (!isMap(map)) continue;
    for (const pair of map.items) {
      if (isScalar(pair.key) && pair.key.range) {
        const pos = counter.linePos(pair.key.range[0]);
        lineOf.set(`${section}.${String(pair.key.value)}`, { line: pos.line, column: pos.col });
      }
    }
  }
  // A boot marker is checked after loading (hil/marker.ts): where it is, for what that says.
  for (const name of Object.keys(result.data.profiles ?? {})) {
    const node = doc.getIn(['profiles', name, 'boot_marker'], true);
    if (isScalar(node) && node.range) {
      const pos = counter.linePos(node.range[0]);
      lineOf.set(`profiles.${name}.boot_marker`, { line: pos.line, column: pos.col });
    }
  }
  return result.data;
}

/** A config is a few levels deep; a document nested this far is an attack or an accident. */
const MAX_NESTING = 64;

/** The deepest nesting of `[` and `{` outside quotes and comments (the YAML parser recurses on it). */
function flowDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: string | null = null;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (comment) {
      if (ch === '\n') comment = false;
    } else if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (ch === '[' || ch === '{') deepest = Math.max(deepest, ++depth);
    else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return deepest;
}
