/** `hutctl serve` (the dashboard, HTTP API, metrics and MCP) and `hutctl mcp` (MCP on stdio). */
import { join } from 'node:path';
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { wholeNumber } from '../numbers.ts';
import { note, printJson, printLine } from '../output.ts';

interface ServeFlags {
  host: string;
  port: string;
  tokenFile?: string;
  newToken?: boolean;
  docs?: string;
  json?: boolean;
}

export function register(program: Command): void {
  withExamples(
    program
      .command('serve')
      .description(
        'the farm dashboard, an HTTP API with live changes, /metrics, and MCP tools for agents',
      )
      .option(
        '--host <address>',
        'the address to listen on (off loopback, a token is required)',
        '127.0.0.1',
      )
      .option('--port <port>', 'the port to listen on (0: any free one)', '7411')
      .option(
        '--token-file <file>',
        'the 0600 file holding the token (default: <state_dir>/serve.token)',
      )
      .option(
        '--new-token',
        'write a new random token to the token file (0600) and print where, then serve',
      )
      .option('--docs <dir>', "the team's repository, for the MCP add_handoff tool")
      .option('--json', 'print the address and token file as JSON once listening')
      .addHelpText(
        'after',
        `
Reading (the page, the API, /metrics, the change stream) needs no token on loopback; changing
anything (power, health, cancel) and /mcp always need it: 'Authorization: Bearer <token>'.
Every change is in the action log (who, what, why, when). Stop with Ctrl-C or SIGTERM.`,
      ),
    [
      ['hutctl serve', 'the dashboard at http://127.0.0.1:7411/'],
      ['hutctl serve --new-token', 'make a token first (write actions and MCP need one)'],
      ['hutctl serve --host 0.0.0.0 --port 8080', 'on the network: needs the token file'],
    ],
  ).action(async (flags: ServeFlags, command: Command) => {
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    const port = wholeNumber(flags.port, '--port', 0, 65535);
    const tokenFile = flags.tokenFile ?? join(config.paths.stateDir, 'serve.token');
    const { newToken } = await import('../../serve/index.ts');
    const { existsSync } = await import('node:fs');
    if (flags.tokenFile && !flags.newToken && !existsSync(flags.tokenFile))
      throw new HutError('USAGE', `--token-file ${flags.tokenFile}: no such file`, {
        hint: 'make it with --new-token, or leave --token-file out to serve read-only on loopback',
      });
    if (flags.newToken) {
      const { privateDir } = await import('../../files/private.ts');
      if (!flags.tokenFile) privateDir(config.paths.stateDir);
      await newToken(tokenFile);
      note(`hutctl: a new token is in ${tokenFile} (0600)`);
    }
    const { startServer } = await import('../../serve/index.ts');
    const docsRoot = flags.docs
      ? (await import('../../docs/index.ts')).findDocsRoot(flags.docs)
      : null;
    const server = await startServer({
      config,
      host: flags.host,
      port,
      tokenFile,
      docsRoot,
      log: (line) => note(`hutctl serve: ${line}`),
    });
    const hasToken = existsSync(tokenFile);
    if (flags.json) printJson({ url: server.url, token_file: hasToken ? tokenFile : null });
    else {
      printLine(`serving ${config.file ?? 'the default configuration'} at ${server.url}/`);
      printLine(
        hasToken
          ? `token: ${tokenFile} (write actions and /mcp need it)`
          : `no token (${tokenFile}): read-only; 'hutctl serve --new-token' makes one`,
      );
    }
    await untilStopped();
    await server.close();
  });

  withExamples(
    program
      .command('mcp')
      .description("the farm's MCP tools on stdin/stdout, for an agent that starts hutctl itself")
      .option('--docs <dir>', "the team's repository, for the add_handoff tool")
      .option('--as <name>', 'who the agent is, in the action log (default: the MCP client name)'),
    [
      ['hutctl mcp', 'in an MCP client config: command hutctl, args ["mcp"]'],
      ['hutctl mcp --as runner:codex --docs ~/squeezelite-esp32', 'with a name and a handoff log'],
    ],
  ).action(async (flags: { docs?: string; as?: string }, command: Command) => {
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    if (flags.as !== undefined && !/^[\w.:@/-]{1,64}$/.test(flags.as))
      throw new HutError('USAGE', `--as ${flags.as}: expected a name such as runner:codex`);
    const docsRoot = flags.docs
      ? (await import('../../docs/index.ts')).findDocsRoot(flags.docs)
      : null;
    const { serveStdio } = await import('../../serve/index.ts');
    // Codex stops its MCP servers with SIGTERM: the leases end, and say so in the action log.
    const stop = new AbortController();
    const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
    for (const signal of signals) process.once(signal, onSignal);
    try {
      await serveStdio(config, {
        docsRoot,
        ...(flags.as ? { as: flags.as } : {}),
        stop: stop.signal,
      });
    } finally {
      for (const signal of signals) process.off(signal, onSignal);
    }
  });
}

/** Resolves on SIGINT or SIGTERM (the server then closes its connections and leases). */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
