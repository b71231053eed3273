/** The resolved configuration every other layer receives: absolute paths, defaults applied. */
import { oneLine } from '../errors/index.ts';
import type { ConfigSource } from './find.ts';

export interface Target {
  name: string;
  transport: 'local' | 'ssh';
  host?: string;
  user?: string;
  port?: number;
  identityFile?: string;
  /** A known_hosts file hutctl keeps; ssh then checks host keys against it strictly. */
  knownHosts?: string;
  workdir?: string;
  sshOptions: Record<string, string>;
  loginShell: boolean;
  /**
   * The role's Codex App Server: argv (default `codex app-server`) and CODEX_HOME on that host;
   * `mcp`: whether its Codex gets hutctl's MCP server (true: the default command), or the command.
   */
  codex?: { command: string[]; codexHome?: string; mcp?: boolean | string[] };
  /** Where this target was defined: `hutctl.yaml:12` or `.lxd.env`. */
  source: string;
}

/** A runner VM `hutctl vm create` makes on the infra host (LXD or Incus). */
export interface VmSpec {
  name: string;
  /** `container` where the host cannot run VMs: no agent, boards as unix-hotplug ttys. */
  type: 'virtual-machine' | 'container';
  /** The target `vm create` writes (host, user, key, known_hosts). */
  target: string;
  image: string;
  /** A simplestreams URL, or `local`: an alias on the server itself. */
  imageServer: string;
  cpu: number;
  memory: string;
  disk: string;
  pool: string;
  network: string;
  project: string;
  user: string;
  /** The public key the VM's user accepts (absolute path). */
  sshPublicKey: string;
  /** The private key beside it, for the target. */
  identityFile: string;
  usb: Record<string, { vendor: string; product: string; serial?: string }>;
  source: string;
}

export interface SlotPower {
  backend: 'homeassistant' | 'command';
  /** Home Assistant entity, e.g. switch.hut_01_power. */
  entity?: string;
  /** Command backend: argv to switch on, off, and to print the state (on/off). */
  on?: string[];
  off?: string[];
  status?: string[];
  offSec: number;
  onSec: number;
  cooldownSec: number;
  maxRetries: number;
}

export interface Slot {
  id: string;
  /** Absolute path of the stable serial link, normally under /dev/serial/by-id. */
  serial: string;
  profile?: string;
  labels: string[];
  power?: SlotPower;
  source: string;
}

export interface HomeAssistantSettings {
  url: string;
  tokenEnv?: string;
  tokenFile?: string;
  timeoutSec: number;
  confirmTimeoutSec: number;
}

export interface PlatformProfile {
  name: string;
  /**
   * A preset — `esptool` (esptool.py with the build's flash_args), `idf` (idf.py on a full build
   * tree), `builtin` (hutctl's own flasher on esptool-js) — or an argv with {port},
   * {artifact_dir}, {baud} placeholders, run in the artifact directory.
   */
  flash: 'esptool' | 'idf' | 'builtin' | string[];
  /** The baud rate to flash at (the console's is `baud`). */
  flashBaud: number;
  /** The artifact profile to fetch (defaults to the profile's name). */
  artifact: string;
  /** A regular expression the boot log must show when the firmware is operational. */
  bootMarker: string;
  /** Where in hutctl.yaml `boot_marker` was set (its line), if it was. */
  bootMarkerLine?: number;
  bootTimeoutSec: number;
  baud: number;
  /**
   * Whether a board that stays silent is first reset through its adapter's RTS (the DTR/RTS
   * auto-reset circuit of dev boards) before its power is cycled.
   */
  serialReset: boolean;
}

export interface HutConfig {
  /** The hutctl.yaml that was read, or null when none was found. */
  file: string | null;
  /** How the file was found (null: none found, defaults). */
  found: { source: ConfigSource; why: string } | null;
  targets: Record<string, Target>;
  paths: {
    lockDir: string;
    cancelDir: string;
    evidenceDir: string;
    slotLockDir: string;
    stateDir: string;
    /** The group evidence and state are shared with (gid), or null: private to the user. */
    shareGroup: number | null;
  };
  slots: Record<string, Slot>;
  profiles: Record<string, PlatformProfile>;
  /** Runner VMs by instance name (`vms:`). */
  vms: Record<string, VmSpec>;
  artifacts: { store: string };
  /** Slot health (docs/store.md): periodic checks (null: none) and the golden artifact. */
  health: {
    everyJobs: number | null;
    everyHours: number | null;
    golden: { sha: string; profile: string | null } | null;
  };
  /** The ledger (docs/store.md), and how long `store gc` keeps what it removes (`30d`, or null). */
  store: (
    | { engine: 'sqlite'; path: string }
    | { engine: 'postgres'; url: string | null; urlEnv: string | null }
    | { engine: 'off' }
  ) & { keep: string | null };
  serial: { byIdDir: string };
  homeAssistant: HomeAssistantSettings | null;
  ssh: {
    controlDir: string;
    controlPersistSec: number;
    connectTimeoutSec: number;
    serverAliveIntervalSec: number;
  };
  jobs: { killGraceSec: number };
  secretEnv: string[];
}

export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  path: string;
  message: string;
}

/**
 * `file:line:column: key.path: message` on one line. The key path and the message quote the file
 * (a key is whatever was written there), so a control character in them is shown escaped
 * (`\u001b`), never sent to the terminal.
 */
/** The platform profiles hutctl.yaml has, as messages name them: `i2s, muse`, or `none`. */
export function profileNames(config: HutConfig): string {
  return Object.keys(config.profiles).join(', ') || 'none';
}

export function formatProblem(problem: ConfigProblem): string {
  const where =
    problem.line === undefined
      ? problem.file
      : `${problem.file}:${problem.line}${problem.column === undefined ? '' : `:${problem.column}`}`;
  return oneLine(
    problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`,
  );
}
