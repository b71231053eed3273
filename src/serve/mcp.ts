/**
 * The boards as MCP tools, for agents: list the slots, lease one, run a command on it, flash and
 * boot-test an artifact, read its serial output, power-cycle it, ask after a job, and write a
 * handoff entry. Every call that touches a board is checked against the caller's lease (the
 * slot's own flock, so a person's `slot run` and an agent exclude each other), runs through the
 * same code as the CLI (the same evidence, reports and ledger rows), and lands in the action log
 * with the agent's name. Built on the official MCP TypeScript SDK; `hutctl mcp` serves it on
 * stdio, `serve` at `/mcp`.
 */

import { statSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod/mini';
import { checkId } from '../contract/ids.ts';
import { HutError, isHutError } from '../errors/index.ts';
import { checkReason, logAction } from './actions.ts';
import { DEFAULT_TTL_SEC, MAX_TTL_SEC, MIN_TTL_SEC } from './leases.ts';
import { jobView, readLogFrom, type ServeContext, slotsView } from './views.ts';

declare const HUTCTL_VERSION: string | undefined;

/**
 * How an agent is named in the action log and on its leases: the client name and version it gave
 * (printable, at most 64 characters each: the client chooses them), then where it is.
 */
export function agentName(
  client: { name?: string; version?: string } | undefined,
  where: string,
): string {
  const clean = (text: string | undefined) =>
    (text ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
  const name = clean(client?.name) || 'agent';
  const version = clean(client?.version);
  return `${name}${version ? `/${version}` : ''} (${where})`;
}

/** What a tool answers: JSON for the model to read, marked as an error when it is one. */
type Answer = { content: Array<{ type: 'text'; text: string }>; isError?: boolean };

const answer = (value: unknown): Answer => ({
  content: [
    { type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) },
  ],
});

const refusal = (error: unknown): Answer => ({
  content: [
    {
      type: 'text',
      text: isHutError(error)
        ? `${error.message}${error.hint ? `\n(${error.hint})` : ''}`
        : `hutctl: ${(error as Error).message}`,
    },
  ],
  isError: true,
});

const slotArg = z.string().check(z.describe('the slot id, e.g. hut-01'));
const OUTPUT_TAIL = 8 * 1024;

/**
 * A new MCP server over `ctx`. `who` names the caller (the agent's client name and session) as
 * it appears in the action log and as the holder of its leases.
 */
export function createMcpServer(ctx: ServeContext, who: () => string): McpServer {
  const server = new McpServer(
    { name: 'hutctl', version: typeof HUTCTL_VERSION === 'string' ? HUTCTL_VERSION : '0.0.0-dev' },
    {
      instructions:
        'Hardware-in-the-loop board farm. Lease a slot before using it (lease_slot), use it (run_on_slot, hil_run, serial_read, power_cycle), and release it when done (release_slot, release_all). A lease expires when unused for its ttl_sec.',
    },
  );
  const { config, leases } = ctx;
  const tool = <Shape extends Record<string, z.ZodMiniType>>(
    name: string,
    description: string,
    shape: Shape,
    work: (args: z.infer<z.ZodMiniObject<Shape>>) => Promise<unknown>,
    readOnly = false,
  ) =>
    server.registerTool(
      name,
      { description, inputSchema: shape, annotations: { readOnlyHint: readOnly } },
      (async (args: z.infer<z.ZodMiniObject<Shape>>) => {
        try {
          return answer(await work(args));
        } catch (error) {
          return refusal(error);
        }
      }) as never,
    );
  /** Writes the action log entry; what could not be written is returned (never thrown over a result). */
  const logged = async (
    action: Parameters<typeof logAction>[1]['action'],
    slot: string | null,
    reason: string,
    outcome: 'done' | 'failed',
    detail: string,
    jobId: string | null = null,
  ): Promise<string | null> => {
    try {
      await logAction(config, {
        action,
        slot,
        job_id: jobId,
        by: who(),
        via: 'mcp',
        reason,
        outcome,
        detail,
      });
      return null;
    } catch (error) {
      return `the action log could not be written: ${(error as Error).message}`;
    }
  };

  tool(
    'list_slots',
    'The farm: every slot with its state (free, busy, missing), health (good, unknown, bad, maintenance, retired, looping) and reason, holder, lease, labels and last power state.',
    {},
    async () =>
      (await slotsView(ctx)).map((s) => ({
        slot: s.slot,
        labels: s.labels,
        profile: s.profile,
        state: s.state,
        health: s.health ? { state: s.health.state, reason: s.health.reason } : null,
        holder: s.holder ? { job_id: s.holder.job_id, since: s.holder.since } : null,
        lease: s.lease,
        power: s.power?.state ?? null,
      })),
    true,
  );

  tool(
    'lease_slot',
    `Lease a free, healthy slot by id or by label, for you alone until you release it or it goes unused for ttl_sec (default ${DEFAULT_TTL_SEC}). Answers at once: a busy slot is refused, with who holds it.`,
    {
      slot: z.optional(slotArg),
      label: z.optional(z.string().check(z.describe('any free healthy slot with this label'))),
      ttl_sec: z.optional(z.int().check(z.gte(MIN_TTL_SEC), z.lte(MAX_TTL_SEC))),
    },
    async ({ slot, label, ttl_sec }) => {
      if ((slot === undefined) === (label === undefined))
        throw usage('give slot or label (one of them)');
      const lease = await leases.take(
        who(),
        slot ? { slot: checkId('slot', slot) } : { label: label! },
        ttl_sec ?? DEFAULT_TTL_SEC,
      );
      return {
        slot: lease.slot.id,
        lease: lease.id,
        expires_utc: lease.expiresUtc(),
        ttl_sec: lease.ttlMs / 1000,
      };
    },
  );

  tool('release_slot', 'Release your lease of a slot.', { slot: slotArg }, async ({ slot }) => {
    const lease = await leases.release(who(), checkId('slot', slot));
    return { slot: lease.slot.id, released: true };
  });

  tool(
    'release_all',
    'Release every slot you lease, when you are done with the boards. A reason, if given, goes in the action log.',
    { reason: z.optional(z.string()) },
    async ({ reason }) => ({
      released: await leases.releaseAll(
        who(),
        reason === undefined ? 'released' : checkReason(reason),
      ),
    }),
  );

  tool(
    'run_on_slot',
    'Run a command on your leased slot as `hutctl slot run` does: {port}, {slot} and {sha} are filled in, the output is in the job log (its last 8 KiB are returned), and a ws2.report.v1 is written. argv is the program and its arguments, not a shell line.',
    {
      slot: slotArg,
      argv: z.array(z.string()).check(z.minLength(1), z.maxLength(256)),
      timeout_sec: z.optional(z.int().check(z.gte(1), z.lte(7200))),
      sha: z.optional(z.string()),
      workdir: z.optional(
        z
          .string()
          .check(z.describe('an absolute directory to run in (default: where the server runs)')),
      ),
    },
    async ({ slot, argv, timeout_sec, sha, workdir }) =>
      leases.using(who(), checkId('slot', slot), async (lease) => {
        if (argv.some((arg) => arg.includes('\0')))
          throw usage('an argument holds a NUL character, which no program can be given');
        if (workdir !== undefined) await checkWorkdir(workdir);
        const { runSlotJob } = await import('../slots/run.ts');
        const { randomHex } = await import('../files/index.ts');
        const { utcStamp } = await import('../contract/ids.ts');
        const jobId = `mcp-${lease.slot.id}-${utcStamp(new Date()).replace('_', '-')}-${randomHex(4)}`;
        lease.job = jobId;
        let outcome: Awaited<ReturnType<typeof runSlotJob>>;
        try {
          outcome = await runSlotJob({
            config,
            held: lease.held,
            argv,
            jobId,
            signal: leases.stopping.signal,
            ...(timeout_sec ? { timeoutSec: timeout_sec } : {}),
            ...(sha ? { sha } : {}),
            ...(workdir ? { workdir } : {}),
          });
        } finally {
          lease.job = null;
        }
        const { report } = outcome;
        const logError = await logged(
          'run',
          lease.slot.id,
          argv.join(' ').slice(0, 200),
          report.status === 'success' ? 'done' : 'failed',
          report.human_summary,
          report.job_id,
        );
        const tail = await readLogFrom(
          outcome.logPath,
          Math.max(0, statSync(outcome.logPath).size - OUTPUT_TAIL),
          OUTPUT_TAIL,
        ).catch(() => ({ text: '' }));
        return {
          job_id: report.job_id,
          status: report.status,
          exit_code: report.exit_code,
          summary: report.human_summary,
          report: outcome.reportPath,
          output_tail: tail.text,
          ...(outcome.reportError ? { evidence_error: outcome.reportError } : {}),
          ...(logError ? { action_log_error: logError } : {}),
        };
      }),
  );

  tool(
    'hil_run',
    'Flash the stored artifact of a commit to your leased slot, power-boot it and judge its boot log (HW-BOOT-001), as `hutctl hil run` does; the result and evidence are the same.',
    {
      slot: slotArg,
      sha: z.string().check(z.regex(/^[0-9a-f]{7,64}$/)),
      profile: z.optional(z.string()),
      test: z.optional(z.string()),
    },
    async ({ slot, sha, profile, test }) =>
      leases.using(who(), checkId('slot', slot), async (lease) => {
        const { runHil } = await import('../hil/run.ts');
        // Its output (the flash and the boot log) is the slot's live output meanwhile.
        lease.job = 'hil';
        const result = await runHil({
          config,
          held: lease.held,
          signal: leases.stopping.signal,
          sha,
          ...(profile ? { profile } : {}),
          ...(test ? { test } : {}),
        }).finally(() => {
          lease.job = null;
        });
        await logged(
          'hil-run',
          lease.slot.id,
          `${result.test_id} for ${sha.slice(0, 12)}`,
          result.status === 'pass' ? 'done' : 'failed',
          `${result.status} (${result.phase}): ${result.reason}`,
        );
        return result;
      }),
  );

  tool(
    'serial_read',
    'Read what your leased slot prints on its serial port for a few seconds (1 to 30, default 3), at its profile baud rate.',
    { slot: slotArg, seconds: z.optional(z.int().check(z.gte(1), z.lte(30))) },
    async ({ slot, seconds }) =>
      leases.using(who(), checkId('slot', slot), async (lease) => {
        const { captureBoot } = await import('../hil/serial.ts');
        const profile = lease.slot.profile ? config.profiles[lease.slot.profile] : undefined;
        const heard = await captureBoot(lease.slot.serial, {
          marker: /(?!)/,
          timeoutMs: (seconds ?? 3) * 1000,
          baud: profile?.baud ?? 115200,
        });
        return {
          slot: lease.slot.id,
          seconds: seconds ?? 3,
          output: heard.output.slice(-64 * 1024),
          resets: heard.resets,
          panic: heard.outcome === 'panic' ? heard.detail : null,
        };
      }),
  );

  tool(
    'power_cycle',
    'Power-cycle your leased slot through its relay (off, confirm, wait, on, confirm, settle), as `hutctl power cycle` does. Give the reason: it goes in the action log.',
    { slot: slotArg, reason: z.string() },
    async ({ slot, reason }) =>
      leases.using(who(), checkId('slot', slot), async (lease) => {
        const why = checkReason(reason);
        const { powerAction, withAction } = await import('./actions.ts');
        // The action log first: a cycle whose record cannot be kept is not made.
        const done = await withAction(
          config,
          {
            action: 'power-cycle',
            slot: lease.slot.id,
            job_id: null,
            by: who(),
            via: 'mcp',
            reason: why,
          },
          async () => {
            const result = await powerAction(config, lease.slot, 'cycle', {
              force: true,
              jobId: lease.id,
            });
            return {
              outcome: result.status === 'ok' ? ('done' as const) : ('failed' as const),
              detail: result.detail,
              value: result.result,
            };
          },
        );
        return done.evidence_error
          ? { ...(done.value as object), evidence_error: done.evidence_error }
          : done.value;
      }),
  );

  tool(
    'job_status',
    "A job's state: running, or how it ended (its ws2.report.v1).",
    { job_id: z.string() },
    async ({ job_id }) =>
      (await jobView(ctx, checkId('job_id', job_id))) ?? { job_id, state: 'not found here' },
    true,
  );

  tool(
    'add_handoff',
    "Add an entry to the team's handoff log (validated like `hutctl handoff add`), e.g. what you ran on the boards and what comes next.",
    {
      agent: z.string().check(z.describe('you, as role:tool, e.g. runner:codex')),
      goal: z.string().check(z.describe('GOAL-001/WS9')),
      context: z.string().check(z.describe('arch-local, infra-live or runner-live')),
      action: z.string().check(z.describe('scaffold, delegate, execute or replan')),
      operator_required: z.string().check(z.describe('yes or no')),
      summary: z.string(),
      next: z.string(),
      blocker: z.optional(z.string()),
      executor: z.optional(z.string()),
    },
    async (a) => {
      if (!ctx.docsRoot)
        throw usage('this server has no documents: start it with --docs <repository>');
      const { addHandoff } = await import('../docs/add-handoff.ts');
      const added = await addHandoff(
        ctx.docsRoot,
        {
          agent: a.agent,
          goal: a.goal,
          context: a.context,
          action_type: a.action,
          operator_required: a.operator_required,
          summary: a.summary,
          next_action: a.next,
          ...(a.blocker ? { blocker: a.blocker } : {}),
          tags: a.executor ? { executor: a.executor } : {},
        },
        {
          repository: ctx.docsRoot,
          edit: 'handoff-entry',
          summary: `${a.goal} ${a.action}: ${a.summary}`,
          by: a.agent,
          command: 'mcp add_handoff',
        },
      );
      await logged('handoff', null, a.summary.slice(0, 200), 'done', added.path);
      return added;
    },
  );
  return server;
}

function usage(message: string): HutError {
  return new HutError('USAGE', message);
}

async function checkWorkdir(dir: string): Promise<void> {
  const { isAbsolute } = await import('node:path');
  const { stat } = await import('node:fs/promises');
  if (!isAbsolute(dir)) throw usage(`workdir ${dir}: expected an absolute path`);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw usage(`workdir ${dir}: not a directory here`);
}
