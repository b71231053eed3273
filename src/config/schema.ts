/** The hutctl.yaml schema: targets by role, paths, SSH connection reuse, job defaults, secret names. */
import { z } from 'zod';

const roleKey = /^[a-z][a-z0-9-]{0,31}$/;
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message: 'expected an environment variable name such as GITLAB_PAT',
});
const seconds = z.number().positive();

const common = {
  workdir: z.string().min(1).optional(),
  login_shell: z.boolean().optional(),
};

const localTarget = z.strictObject({ transport: z.literal('local'), ...common });

const sshTarget = z.strictObject({
  transport: z.literal('ssh'),
  host: z.string().min(1),
  user: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  identity_file: z.string().min(1).optional(),
  ssh_options: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), z.union([z.string(), z.number()]))
    .optional(),
  ...common,
});

export const targetSchema = z.discriminatedUnion('transport', [localTarget, sshTarget], {
  error: (issue) =>
    issue.code === 'invalid_union' ? "expected transport: 'local' or 'ssh'" : undefined,
});

export const configFileSchema = z.strictObject({
  targets: z
    .record(
      z.string().regex(roleKey, { message: 'a target name is a role such as runner' }),
      targetSchema,
    )
    .optional(),
  paths: z
    .strictObject({
      lock_dir: z.string().min(1).optional(),
      cancel_dir: z.string().min(1).optional(),
      evidence_dir: z.string().min(1).optional(),
    })
    .optional(),
  ssh: z
    .strictObject({
      control_dir: z.string().min(1).optional(),
      control_persist_sec: z.number().int().nonnegative().optional(),
      connect_timeout_sec: z.number().int().positive().optional(),
      server_alive_interval_sec: z.number().int().positive().optional(),
    })
    .optional(),
  jobs: z
    .strictObject({
      kill_grace_sec: seconds.optional(),
    })
    .optional(),
  secrets: z
    .strictObject({
      env: z.array(envName).optional(),
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
