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

/** Sessions open at once; one idle for an hour is closed (its leases end with it). */
const MAX_SESSIONS = 64;
const IDLE_MS = 3600_000;

export function mcpHttp(ctx: ServeContext, log: (line: string) => void) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const used = new Map<string, number>();
  // A client that vanished without closing its session: closed after an hour unused.
  const reaper = setInterval(() => {
    for (const [sid, at] of used)
      if (Date.now() - at > IDLE_MS) {
        used.delete(sid);
        void sessions.get(sid)?.close();
      }
  }, 60_000);
  reaper.unref();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const id = request.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    if (known) {
      used.set(id as string, Date.now());
      return known.handleRequest(request, response);
    }
    if (typeof id !== 'string' && sessions.size >= MAX_SESSIONS) {
      response.writeHead(503, { 'Content-Type': 'application/json' });
      response.end(
        JSON.stringify({
          jsonrpc: '2.0',
          error: {
            code: -32000,
            message: `${MAX_SESSIONS} MCP sessions are open: close one first`,
          },
          id: null,
        }),
      );
      return;
    }
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
        used.set(sid, Date.now());
        log(`MCP session ${sid.slice(0, 8)} opened`);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) {
        sessions.delete(transport.sessionId);
        used.delete(transport.sessionId);
        log(`MCP session ${transport.sessionId.slice(0, 8)} closed`);
      }
      void ctx.leases.releaseAll(who(), 'MCP session closed');
    };
    const server = createMcpServer(ctx, who);
    await server.connect(transport);
    await transport.handleRequest(request, response);
  }

  return {
    handle,
    async close() {
      clearInterval(reaper);
      for (const transport of sessions.values()) await transport.close();
      sessions.clear();
    },
  };
}
