/**
 * hutctl's MCP server for a role's Codex: the `-c mcp_servers.hutctl.*` overrides that make its
 * App Server (or `codex exec`) start `hutctl mcp --as <role>:codex` on the role's host, so the
 * agent leases, runs on, reads and power-cycles the boards under the same locks and evidence as a
 * person. Overrides on the command line, not a config.toml edit: nothing is left behind, and
 * delegations running at once cannot disturb one another.
 */
import { isSea } from 'node:sea';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HutConfig, Target } from '../config/index.ts';
import type { ApprovalPolicy } from './approvals.ts';
import type { AppServerPeer } from './rpc.ts';

/** The server's name in Codex: its tools reach the model as the namespace `mcp__hutctl`. */
const MCP_SERVER_NAME = 'hutctl';

/**
 * The MCP server's command on the role's host. The target's own (`codex.mcp: [argv]`) wins; on
 * a local target it is this very hutctl with this configuration, so the agent sees the same farm;
 * on an SSH target, the `hutctl` on that host's PATH, which reads that host's hutctl.yaml.
 */
export function mcpServerCommand(
  config: HutConfig,
  role: string,
  target: Target,
  docsRoot?: string,
): string[] {
  if (Array.isArray(target.codex?.mcp)) return target.codex.mcp;
  const as = ['mcp', '--as', `${role}:codex`];
  if (target.transport !== 'local') return ['hutctl', ...as];
  return [
    ...thisHutctl(),
    ...(config.file ? ['--config', config.file] : []),
    ...as,
    ...(docsRoot ? ['--docs', docsRoot] : []),
  ];
}

/** The program running now: the single executable, or Node.js and the bundle it runs. */
function thisHutctl(): string[] {
  return isSea() || !process.argv[1] ? [process.execPath] : [process.execPath, process.argv[1]];
}

/**
 * The `-c` arguments that configure the server. It is `required`: a server that cannot start
 * fails the thread at once with Codex's reason, instead of an agent working without its tools.
 * Approvals follow delegate's policy: `never` runs the tools without asking (also where the
 * role's own config.toml says otherwise); `accept` and `decline` let Codex ask as it does for any
 * tool, and hutctl answers (run.ts). In `codex exec` nobody can answer, so `accept` is given as
 * approval in advance and `decline` as asking, which exec refuses.
 */
export function mcpOverrides(
  command: string[],
  options: {
    approval: ApprovalPolicy;
    mechanism: 'app-server' | 'exec';
    toolTimeoutSec: number;
    envVars: string[];
  },
): string[] {
  const [program, ...args] = command;
  const mode =
    options.approval === 'never' || (options.approval === 'accept' && options.mechanism === 'exec')
      ? 'approve'
      : options.approval === 'decline' && options.mechanism === 'exec'
        ? 'prompt'
        : 'auto';
  const key = `mcp_servers.${MCP_SERVER_NAME}`;
  const settings: Array<[string, string]> = [
    ['command', tomlString(program!)],
    ['args', tomlArray(args)],
    ['required', 'true'],
    ['startup_timeout_sec', '30'],
    ['tool_timeout_sec', String(options.toolTimeoutSec)],
    ['default_tools_approval_mode', tomlString(mode)],
    ['env_vars', tomlArray(options.envVars)],
  ];
  return settings.flatMap(([name, value]) => ['-c', `${key}.${name}=${value}`]);
}

/**
 * What the server needs from the environment, by name (Codex starts MCP servers with little more
 * than HOME and PATH): where hutctl keeps its state and config, and the secrets the config names.
 */
export function mcpEnvVars(config: HutConfig): string[] {
  const names = ['HUTCTL_CONFIG', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME'];
  if (config.homeAssistant?.tokenEnv) names.push(config.homeAssistant.tokenEnv);
  if (config.store.engine === 'postgres' && config.store.urlEnv) names.push(config.store.urlEnv);
  names.push(...config.secretEnv);
  return [...new Set(names)];
}

/**
 * Ends the leases the agent left, through the App Server (`mcpServer/tool/call` of release_all)
 * while its MCP server still runs: Codex stops MCP servers with SIGTERM and a SIGKILL close
 * behind, too soon for the server to say so itself. The flocks would go with the process anyway;
 * this puts the end in the action log. Returns the slots released (none when it cannot ask).
 */
export async function releaseLeft(
  peer: AppServerPeer,
  threadId: string,
  jobId: string,
): Promise<string[]> {
  const call = peer.request('mcpServer/tool/call', {
    threadId,
    server: MCP_SERVER_NAME,
    tool: 'release_all',
    arguments: { reason: `the delegation ${jobId} ended` },
  });
  const answer = await Promise.race([call, peer.exited.then(() => null), sleep(5000, null)]).catch(
    () => null,
  );
  const text = (answer as { content?: Array<{ text?: unknown }> } | null)?.content?.[0]?.text;
  try {
    const released = (JSON.parse(String(text)) as { released?: unknown }).released;
    return Array.isArray(released) ? released.map(String) : [];
  } catch {
    return [];
  }
}

/** `argv` with `extra` after the App Server's `app-server` (its options), else at the end. */
export function withAppServerOptions(argv: string[], extra: string[]): string[] {
  const at = argv.lastIndexOf('app-server');
  return at < 0 ? [...argv, ...extra] : [...argv.slice(0, at + 1), ...extra, ...argv.slice(at + 1)];
}

/** A TOML basic string: JSON's escapes are TOML's, except that TOML also escapes DEL. */
function tomlString(value: string): string {
  return JSON.stringify(value).replaceAll('\u007f', '\\u007F');
}

function tomlArray(values: string[]): string {
  return `[${values.map(tomlString).join(',')}]`;
}
