#!/usr/bin/env node
// Runs `codex app-server` with nothing but loopback: started by `unshare -n`, it brings `lo`
// up, starts the mock Responses API inside the same namespace, writes CODEX_HOME/config.toml
// (its port given with -c), and hands its stdio to codex. Usage: sandbox.mjs <codex-binary> <codex-home> [args…]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { startMock } from './mock-responses.mjs';

const [codex, home, ...args] = process.argv.slice(2);
spawnSync('ip', ['link', 'set', 'lo', 'up']);
const server = await startMock();
let port = server.address().port;
// MOCK_PROVIDER=closed: the provider's port refuses connections (nothing listens there);
// MOCK_PROVIDER=openai: the provider needs an OpenAI login, as the built-in one does.
if (process.env.MOCK_PROVIDER === 'closed') {
  const closed = await startMock();
  port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
}
mkdirSync(home, { recursive: true });
writeFileSync(
  `${home}/config.toml`,
  `model = "mock-model"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "danger-full-access"
[model_providers.mock]
name = "Local mock Responses API"
base_url = "http://127.0.0.1:1/v1"
wire_api = "responses"
requires_openai_auth = ${process.env.MOCK_PROVIDER === 'openai' ? 'true' : 'false'}
supports_websockets = false
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 20000
[analytics]
enabled = false
[features]
plugins = false
`,
);
// The mock's port goes on the command line: several app-servers may share one CODEX_HOME,
// each with its own namespace and mock, and the file must not point one at another's port.
const override = ['-c', `model_providers.mock.base_url="http://127.0.0.1:${port}/v1"`];
const child = spawn(codex, [...override, ...(args.length ? args : ['app-server'])], {
  stdio: 'inherit',
  env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, RUST_LOG: 'error' },
});
child.on('exit', (code, signal) => {
  server.close();
  process.exit(code ?? (signal ? 128 : 1));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
