/**
 * MCP over Streamable HTTP at `serve`'s `/mcp`: one SDK transport and one server per session
 * (the `Mcp-Session-Id` the SDK hands out). A session's leases end with it — when the client
 * closes it (DELETE), or, for a client that just vanished, when their TTL passes unused.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { agentName, createMcpServer } from './mcp.ts';
import type { ServeContext } from './views.ts';

export function mcpHttp(ctx: ServeContext, log: (line: string) => void) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const id = request.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    if (known) return known.handleRequest(request, response);
    if (typeof id === 'string' || request.method !== 'POST') {
      response.writeHead(404, { 'Content-Type': 'application/json' });
      response.end(
        JSON.stringify({
          jsonrpc: '2.0',
          error: { code: -32001, message: 'no such MCP session (it ended): initialize a new one' },
          id: null,
        }),
      );
      return;
    }
    let name: string | null = null;
    const from = request.socket.remoteAddress;
    // The agent's name (from its initialize request) and its session: the holder of its leases.
    const who = () => {
      if (name !== null) return name;
      const client = server.server.getClientVersion();
      const sid = transport.sessionId?.slice(0, 8) ?? '?';
      const named = agentName(client, `mcp ${sid} from ${from}`);
      if (client) name = named;
      return named;
    };
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        sessions.set(sid, transport);
        log(`MCP session ${sid.slice(0, 8)} opened`);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      void ctx.leases.releaseAll(who(), 'MCP session closed');
    };
    const server = createMcpServer(ctx, who);
    await server.connect(transport);
    await transport.handleRequest(request, response);
  }

  return {
    handle,
    async close() {
      for (const transport of sessions.values()) await transport.close();
      sessions.clear();
    },
  };
}
