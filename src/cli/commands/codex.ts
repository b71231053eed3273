/** `hutctl codex status|login <role>`: the role's Codex (GOAL-001 WS6), checked and logged in. */
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { note, printJson, printLine } from '../output.ts';

export function register(program: Command): void {
  const codex = program
    .command('codex')
    .description("a role's Codex: installed, pinned version, logged in; the operator's login");

  withExamples(
    codex
      .command('status')
      .description(
        "whether the role's host has the pinned codex and it is logged in, and what to do if not",
      )
      .argument('<role>', 'a configured target: infra, runner, …')
      .option('--json', 'print as JSON')
      .addHelpText(
        'after',
        `
Runs the role's codex (targets.<role>.codex.command, over the role's transport) once: codex login
status, and codex --version only when its files changed since hutctl last asked; a codex that is
not logged in is asked through its App Server (account/read) whether its provider needs a login.
Exit 0 ready, 1 not ready (the problem and the operator's action are printed), 255 the host
cannot be reached. What it prints for a role whose operator has not logged in yet:
  runner: codex 0.169.0 on codexsvc@10.20.0.12:22, not logged in
    do: hutctl codex login runner`,
      ),
    [
      ['hutctl codex status runner', "is the runner's codex installed, pinned and logged in"],
      ['hutctl codex status infra --json', 'the same for infra, as JSON'],
    ],
  ).action(async (role: string, o: { json?: boolean }, command: Command) => {
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    const { resolveTarget } = await import('../../config/index.ts');
    const { codexStatus } = await import('../../delegate/codex.ts');
    const status = await codexStatus(config, role, resolveTarget(config, role));
    if (o.json) printJson(status);
    else {
      const what = status.installed
        ? `codex ${status.version ?? '?'} on ${status.via}, ${status.account ? `logged in (${status.account})` : status.requires_openai_auth ? 'not logged in' : 'no login needed by its provider'}`
        : /^codex is not installed/.test(status.problem ?? '')
          ? `no codex on ${status.via}`
          : `codex on ${status.via} not checked`;
      printLine(`${role}: ${what}${status.ready ? ', ready' : ''}`);
      if (status.problem) printLine(`  ${status.problem}`);
      if (status.action) printLine(`  do: ${status.action}`);
    }
    process.exitCode = status.ready ? 0 : 1;
  });

  withExamples(
    codex
      .command('login')
      .description(
        "the operator's Codex login on the role's host: a device code, or an API key on stdin",
      )
      .argument('<role>', 'a configured target: infra, runner, …')
      .option(
        '--with-api-key',
        "read an API key from stdin and store it in the role's codex (never printed)",
      )
      .option('--docs <dir>', 'record the operator gate in this repository’s handoff log')
      .option('--goal <GOAL-nnn/WSn>', 'the handoff entry’s goal/workstream', 'GOAL-001/WS6')
      .option('--agent <role:id>', 'who asks, for the handoff entry', 'arch:codex')
      .addHelpText(
        'after',
        `
Runs "codex login --device-auth" on the role's host, over its transport: the operator opens the
URL it prints and enters the code; hutctl waits until codex says it is done. With --docs (or from
inside the team's repository) an entry "operator_required: yes" is added to the handoff log
first, so the gate is on record while it waits. Then: hutctl codex status <role>.`,
      ),
    [
      [
        'hutctl codex login runner --docs ~/src/squeezelite-esp32',
        'device login; the operator gate goes in the handoff log',
      ],
      [
        'hutctl codex login runner --with-api-key < ~/.config/openai.key',
        'store an API key instead',
      ],
    ],
  ).action(
    async (
      role: string,
      o: { withApiKey?: boolean; docs?: string; goal: string; agent: string },
      command: Command,
    ) => {
      const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
      const { resolveTarget } = await import('../../config/index.ts');
      const { codexArgv } = await import('../../delegate/index.ts');
      const { transportFor } = await import('../../transport/index.ts');
      const target = resolveTarget(config, role);
      const transport = transportFor(target, config);
      let key = '';
      if (o.withApiKey) {
        if (process.stdin.isTTY)
          throw new HutError('USAGE', '--with-api-key reads the key from stdin: pipe it in');
        for await (const chunk of process.stdin) {
          key += chunk;
          if (key.length > 4096)
            throw new HutError(
              'USAGE',
              '--with-api-key: stdin held more than 4 KiB; an API key is one short word',
            );
        }
        key = key.trim();
        if (!key) throw new HutError('USAGE', '--with-api-key: stdin held no key');
        if (!/^[\x21-\x7e]+$/.test(key))
          throw new HutError(
            'USAGE',
            '--with-api-key: an API key is one word of printable characters (no spaces or control characters)',
          );
        const { addSecret } = await import('../../secrets/index.ts');
        addSecret(key);
      }
      // The operator gate goes on record before the wait (device login), never after.
      const docsLib = await import('../../docs/index.ts');
      let root: string | null = null;
      try {
        root = docsLib.findDocsRoot(o.docs ?? process.cwd());
      } catch (error) {
        if (o.docs) throw error;
      }
      await transport.connect();
      if (root && !o.withApiKey) {
        const line = docsLib.formatHandoff(
          {
            agent: o.agent,
            goal: o.goal,
            context: role === 'infra' ? 'infra-live' : 'runner-live',
            action_type: 'execute',
            operator_required: 'yes',
            summary: `codex device login on ${transport.describe()} for ${role}: waiting for the operator to open the URL and enter the code`,
            next_action: `then: hutctl codex status ${role}`,
            tags: { executor: 'ssh_direct' },
          },
          () => null,
        );
        const { insertHandoffLine } = await import('../../docs/add-handoff.ts');
        const logPath = await insertHandoffLine(root, line, {
          repository: root,
          edit: 'handoff-entry',
          summary: `${o.goal} operator gate: codex device login for ${role}`,
          by: o.agent,
          command: 'codex login',
        });
        note(`hutctl: operator gate recorded in ${logPath}`);
      }
      const argv = codexArgv(
        target,
        o.withApiKey ? ['login', '--with-api-key'] : ['login', '--device-auth'],
      );
      const child = transport.spawn(argv, {
        stdio: [o.withApiKey ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        ownGroup: true,
        ...(target.workdir ? { cwd: target.workdir } : {}),
      });
      if (o.withApiKey) child.stdin!.end(`${key}\n`);
      const { redact } = await import('../../secrets/index.ts');
      let said = '';
      const show = (chunk: string) => {
        said += chunk;
        for (const line of chunk.split('\n'))
          if (line && !line.startsWith('WARNING: proceeding')) printLine(redact(line));
      };
      child.stdout!.setEncoding('utf8').on('data', show);
      child.stderr!.setEncoding('utf8').on('data', show);
      const code = await new Promise<number | null>((resolve) => {
        child.on('error', () => resolve(127));
        child.on('close', resolve);
      });
      if (code !== 0) {
        const last = said
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('WARNING: proceeding'))
          .at(-1);
        throw new HutError(
          'FAILED',
          `codex login on ${transport.describe()} exited ${code}${last ? `: ${redact(last)}` : ''}`,
          { hint: `check the host with: hutctl codex status ${role}` },
        );
      }
    },
  );
}
