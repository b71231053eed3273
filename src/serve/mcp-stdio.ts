/**
 * `hutctl mcp`: the same MCP tools on stdin/stdout, for an agent that starts hutctl itself (a
 * Codex or Claude MCP server entry). The process is the session: its leases end when the agent
 * closes stdin or stops the process (`stop`: SIGTERM, as Codex does, SIGINT, SIGHUP) — each end
 * in the action log — and, as flocks, with the process whatever kills it.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { HutConfig } from '../config/index.ts';
import { openContext } from './context.ts';
import { agentName, createMcpServer } from './mcp.ts';

export async function serveStdio(
  config: HutConfig,
  /** `stop`: ends the session as the agent closing it does (the CLI's SIGTERM, SIGINT, SIGHUP). */
  options: { docsRoot: string | null; as?: string; stop?: AbortSignal },
): Promise<void> {
  const opened = await openContext(config, {
    docsRoot: options.docsRoot,
    watched: false,
    log: (line) => process.stderr.write(`hutctl mcp: ${line}\n`),
  });
  const { ctx } = opened;
  let who = options.as ?? 'agent';
  const server = createMcpServer(ctx, () => who);
  const transport = new StdioServerTransport();
  let why = 'session ended';
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    options.stop?.addEventListener(
      'abort',
      () => {
        why = `session ended (${String(options.stop?.reason)})`;
        resolve();
      },
      { once: true },
    );
  });
  server.server.oninitialized = () => {
    const client = server.server.getClientVersion();
    if (!options.as) who = agentName(client, `mcp stdio pid ${process.pid}`);
  };
  await server.connect(transport);
  await closed;
  await opened.close(why);
  await server.close();
}
