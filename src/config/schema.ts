/** The hutctl.yaml schema: targets by role, paths, SSH connection reuse, job defaults, secret names. */
import * as z from 'zod/mini';
import { idSchema } from '../contract/id-schemas.ts';
import '../contract/zod.ts';
import { PERIOD_FORMS, periodMs } from '../format/index.ts';

const roleKey = /^[a-z][a-z0-9-]{0,31}$/;
const envName = z.string().check(
  z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: 'expected an environment variable name such as GITLAB_PAT',
  }),
);
/** A non-empty value on one line: a control character in a path, host or user is a mistake. */
const text = () =>
  z.string().check(
    z.minLength(1),
    z.regex(/^[^\x00-\x1f\x7f-\x9f]*$/, {
      error: 'may not hold control characters or line breaks',
    }),
  );
/** Whole seconds from 1 to `max` (every duration has a ceiling: Node clamps longer timers to 1 ms). */
const seconds = (max: number) => z.int().check(z.positive(), z.lte(max));
/** Seconds, fractions allowed, from `min` (0 or more) to `max`. */
const span = (max: number, positive = false) =>
  z.number().check(positive ? z.positive() : z.nonnegative(), z.lte(max));

const common = {
  workdir: z.optional(text()),
  login_shell: z.optional(z.boolean()),
  /** How the role's Codex App Server is started on that host. */
  codex: z.optional(
    z.strictObject({
      command: z.optional(z.array(text()).check(z.minLength(1))),
      codex_home: z.optional(text()),
      /** hutctl's MCP server for this role's Codex: true (hutctl's own), or the command on that host. */
      mcp: z.optional(z.union([z.boolean(), z.array(text()).check(z.minLength(1))])),
    }),
  ),
};

const localTarget = z.strictObject({ transport: z.literal('local'), ...common });

/** A host or user goes into ssh's argv: one that starts with `-` would read as an option. */
const sshWord = () =>
  text().check(
    z.regex(/^[^-\s]/, {
      error: 'may not start with "-" or a space (ssh would read it as an option)',
    }),
  );

const sshTarget = z.strictObject({
  transport: z.literal('ssh'),
  host: sshWord(),
  user: z.optional(sshWord()),
  port: z.optional(z.int().check(z.gte(1), z.lte(65535))),
  identity_file: z.optional(text()),
  /** A known_hosts file hutctl keeps (vm create pins the VM's host key there): checked strictly. */
  known_hosts: z.optional(text()),
  ssh_options: z.optional(
    z.record(
      z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: 'an ssh_config option name' })),
      z.union([z.string(), z.number()]),
    ),
  ),
  ...common,
});

export const targetSchema = z.discriminatedUnion('transport', [localTarget, sshTarget], {
  error: (issue) =>
    issue.code === 'invalid_union' ? "expected transport: 'local' or 'ssh'" : undefined,
});

const slotId = idSchema('slot');
const argv = () => z.array(text()).check(z.minLength(1, { error: 'a command needs a program' }));

const powerCommon = {
  off_sec: z.optional(span(3600)),
  on_sec: z.optional(span(3600)),
  cooldown_sec: z.optional(span(86400)),
  max_retries: z.optional(z.int().check(z.gte(0), z.lte(10))),
};

const powerSchema = z.discriminatedUnion(
  'backend',
  [
    z.strictObject({ backend: z.literal('homeassistant'), entity: text(), ...powerCommon }),
    z.strictObject({
      backend: z.literal('command'),
      on: argv(),
      off: argv(),
      status: z.optional(argv()),
      ...powerCommon,
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? "expected backend: 'homeassistant' or 'command'" : undefined,
  },
);

/**
 * A serial device path as udev names /dev/serial/by-id links (letters, digits and `#+-.:=@_`,
 * with `/` and a leading `~`): it is filled into commands as {port}.
 */
export const serialPath = z.string().check(
  z.regex(/^[A-Za-z0-9#+\-.:=@_/~]+$/, {
    error:
      "a serial path holds letters, digits and '#+-.:=@_/~' only (as udev names /dev/serial/by-id links)",
  }),
);

const slotSchema = z.strictObject({
  serial: serialPath,
  profile: z.optional(text()),
  labels: z.optional(z.array(idSchema('label'))),
  power: z.optional(powerSchema),
});

const profileSchema = z.strictObject({
  flash: z.optional(z.union([z.enum(['esptool', 'idf', 'builtin']), argv()])),
  flash_baud: z.optional(z.int().check(z.positive(), z.lte(16_000_000))),
  artifact: z.optional(text()),
  // Checked by `config check` and before a hil run (hil/marker.ts: RE2, in linear time).
  boot_marker: z.optional(text()),
  boot_timeout_sec: z.optional(span(3600, true)),
  baud: z.optional(z.int().check(z.positive(), z.lte(16_000_000))),
  serial_reset: z.optional(z.boolean()),
});

/** Sizes as LXD takes them: 8GiB, 512MiB, 40GB. */
const size = () =>
  z.string().check(
    z.regex(/^[1-9][0-9]{0,6}(B|kB|MB|GB|TB|KiB|MiB|GiB|TiB)$/, {
      error: 'a size such as 8GiB or 40GiB',
    }),
  );

const usbId = () =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : "a USB id in quotes, four lower-case hex digits ('7523', '10c4'): a bare number is read as another number",
    })
    .check(z.regex(/^[0-9a-f]{4}$/, { error: 'four lower-case hex digits, e.g. 10c4' }));

const vmSchema = z.strictObject({
  /** A container where the host cannot run VMs (no KVM): its boards as unix-hotplug ttys. */
  type: z.optional(
    z.enum(['virtual-machine', 'container'], {
      error: 'virtual-machine (the default) or container, as LXD spells them',
    }),
  ),
  target: z.optional(
    z.string().check(z.regex(roleKey, { error: 'a target name is a role such as runner' })),
  ),
  image: z.optional(text()),
  image_server: z.optional(
    z.union([
      z.literal('local'),
      z.url({
        protocol: /^https$/,
        error: "an https URL of a simplestreams server, or 'local' (an alias on the server)",
      }),
    ]),
  ),
  cpu: z.optional(z.int().check(z.positive(), z.lte(512))),
  memory: z.optional(size()),
  disk: z.optional(size()),
  pool: z.optional(text()),
  network: z.optional(text()),
  project: z.optional(text()),
  user: z.optional(
    z.string().check(
      z.regex(/^[a-z_][a-z0-9_-]{0,31}$/, {
        error: 'a Linux user name: lower-case letters, digits, _ and -, at most 32',
      }),
    ),
  ),
  ssh_public_key: z.optional(text()),
  usb: z.optional(
    z.record(
      slotId,
      // A bare 7523 or 0x12 is a YAML number, whose digits are not the hex id: quotes required.
      z.strictObject({
        vendor: usbId(),
        product: usbId(),
        serial: z.optional(text()),
      }),
    ),
  ),
});
const vmName = z.string().check(
  z.regex(/^[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/, {
    error:
      'an instance name: a letter, then letters, digits and dashes (at most 63, no dash at the end)',
  }),
);

export const configFileSchema = z.strictObject({
  vms: z.optional(z.record(vmName, vmSchema)),
  artifacts: z.optional(z.strictObject({ store: z.optional(text()) })),
  /** Slot health: when a health check is due besides after an infrastructure error. */
  health: z.optional(
    z.strictObject({
      every_jobs: z.optional(z.int().check(z.positive(), z.lte(1_000_000))),
      every_hours: z.optional(z.number().check(z.positive(), z.lte(24 * 365))),
      /** The artifact a health check flashes (else the slot's last passing one). */
      golden: z.optional(
        z.strictObject({
          sha: z.string().check(z.regex(/^[0-9a-f]{7,64}$/, { error: 'expected a commit SHA' })),
          profile: z.optional(idSchema('profile')),
        }),
      ),
    }),
  ),
  /** The ledger: SQLite (default), PostgreSQL for several hosts, or off. */
  store: z.optional(
    z.strictObject({
      engine: z.optional(z.enum(['sqlite', 'postgres', 'off'])),
      path: z.optional(text()),
      url: z.optional(
        text().check(
          z.regex(/^postgres(ql)?:\/\//, { error: 'expected a postgresql:// URL' }),
          z.refine((url) => !/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(url), {
            error:
              'a URL with a password does not belong in hutctl.yaml: put it in an environment variable and name it in store.url_env',
          }),
        ),
      ),
      url_env: z.optional(envName),
      /** How long `store gc` keeps evidence, artifacts and firmware copies (`30d`). */
      keep: z.optional(
        z
          .string()
          .check(
            z.refine((text) => periodMs(text) !== null, { error: `expected ${PERIOD_FORMS}` }),
          ),
      ),
    }),
  ),
  profiles: z.optional(z.record(idSchema('profile'), profileSchema)),
  slots: z.optional(z.record(slotId, slotSchema)),
  serial: z.optional(z.strictObject({ by_id_dir: z.optional(text()) })),
  home_assistant: z.optional(
    z.strictObject({
      url: z.url({
        protocol: /^https?$/,
        error: 'expected an http(s) URL such as http://ha.local:8123',
      }),
      token_env: z.optional(text()),
      token_file: z.optional(text()),
      timeout_sec: z.optional(span(300, true)),
      confirm_timeout_sec: z.optional(span(3600, true)),
    }),
  ),
  targets: z.optional(
    z.record(
      z.string().check(z.regex(roleKey, { error: 'a target name is a role such as runner' })),
      targetSchema,
    ),
  ),
  paths: z.optional(
    z.strictObject({
      lock_dir: z.optional(text()),
      cancel_dir: z.optional(text()),
      evidence_dir: z.optional(text()),
      slot_lock_dir: z.optional(text()),
      state_dir: z.optional(text()),
      share_group: z.optional(
        z.union([z.string().check(z.regex(/^[a-z_][a-z0-9_-]*\$?$|^\d+$/)), z.int()]),
      ),
    }),
  ),
  ssh: z.optional(
    z.strictObject({
      control_dir: z.optional(text()),
      control_persist_sec: z.optional(z.int().check(z.nonnegative(), z.lte(86400))),
      connect_timeout_sec: z.optional(seconds(600)),
      server_alive_interval_sec: z.optional(seconds(3600)),
    }),
  ),
  jobs: z.optional(
    z.strictObject({
      kill_grace_sec: z.optional(span(600, true)),
    }),
  ),
  secrets: z.optional(
    z.strictObject({
      env: z.optional(z.array(envName)),
    }),
  ),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
