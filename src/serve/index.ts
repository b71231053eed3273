/**
 * `serve` and `mcp`: a bundle of their own (dist/serve.cjs), since the MCP SDK and the server
 * are more code than every other command together and only these two commands load them.
 */
export { newToken } from './auth.ts';
export { serveStdio } from './mcp-stdio.ts';
export { startServer } from './server.ts';
