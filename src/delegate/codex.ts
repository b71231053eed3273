/**
 * A role's Codex (GOAL-001 WS6): is the pinned codex installed on the role's host, which version,
 * is it logged in — asked of the App Server itself (`initialize` names the version, `account/read`
 * the login and whether the configured provider needs one) — and what the operator must do when
 * it is not ready. `codex login` runs on the role's host the same way.
 */
import { statSync } from 'node:fs';
import type { HutConfig, Target } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import { type Transport, transportFor } from '../transport/index.ts';
import { quickCheck } from './codex-quick.ts';
import { AppServerPeer, EXITED, RpcError } from './rpc.ts';

/** The codex release hutctl speaks the App Server protocol of (package.json pins it exactly). */
export const CODEX_PIN = '0.169.0';

export interface CodexStatus {
  role: string;
  target: string;
  via: string;
  installed: boolean;
  version: string | null;
  pinned: string;
  /** `apiKey`, `chatgpt`, … or null when not logged in. */
  account: string | null;
  requires_openai_auth: boolean | null;
  ready: boolean;
  /** What is wrong, and what to do about it (null when ready). */
  problem: string | null;
  action: string | null;
}

/** The argv that starts the role's App Server (`CODEX_HOME` set when the target names one). */
export function appServerArgv(target: Target): string[] {
  const codex = target.codex ?? { command: ['codex', 'app-server'] };
  return codex.codexHome
    ? ['env', `CODEX_HOME=${codex.codexHome}`, ...codex.command]
    : codex.command;
}

/** The codex an App Server command runs, without its `app-server` (and what follows it). */
export function codexCommand(appServer: string[]): string[] {
  const at = appServer.lastIndexOf('app-server');
  return at >= 0 ? appServer.slice(0, at) : appServer;
}

/** The same codex with other arguments. */
export function codexArgv(target: Target, args: string[]): string[] {
  return [...codexCommand(appServerArgv(target)), ...args];
}

/** The program the App Server command runs, for messages (`codex`, `/opt/codex/bin/codex`). */
export function codexProgram(argv: string[]): string {
  let i = 0;
  if (argv[0] === 'env') for (i = 1; i < argv.length && argv[i]!.includes('='); i++);
  return argv[i] ?? 'codex';
}

/**
 * "the workdir … does not exist on …; create it …" when the target's workdir is missing: looked
 * at here for a local target (whose spawn would fail as if codex were not there), read from what
 * the SSH transport's `cd` said (`reason`) for a remote one; else null.
 */
export function missingWorkdir(transport: Transport, reason = ''): string | null {
  const { target } = transport;
  const said = /hutctl: workdir (.+) does not exist on (\S+)/.exec(reason);
  let dir = said?.[1] ?? null;
  if (!dir && target.transport === 'local' && target.workdir) {
    let isDir = false;
    try {
      isDir = statSync(target.workdir).isDirectory();
    } catch {}
    if (!isDir) dir = target.workdir;
  }
  if (!dir) return null;
  return `the workdir ${dir} of target ${target.name} does not exist on ${said?.[2] ?? transport.describe()}; create it there (mkdir -p ${dir}) or set targets.${target.name}.workdir in hutctl.yaml`;
}

/** "codex is not installed …" when the App Server could not be started at all, else null. */
export function missingCodex(reason: string, argv: string[], where: string): string | null {
  if (!/exited with status 127 |ENOENT|command not found|: not found/.test(reason)) return null;
  return `codex is not installed on ${where}: '${codexProgram(argv)}' was not found (${reason}); install the pinned codex there (npm install -g @openai/codex@${CODEX_PIN}) or set the target's codex.command in hutctl.yaml`;
}

/** The codex version in an `initialize` answer's userAgent (`hutctl/0.169.0 (Ubuntu …) …`). */
export function versionOf(hello: unknown): string | null {
  const agent = String((hello as { userAgent?: unknown } | null)?.userAgent ?? '');
  return /^[^/\s]+\/(\S+)/.exec(agent)?.[1] ?? null;
}

/** Why a codex cannot answer, from `account/read`: not logged in while its provider needs it. */
export function accountProblem(account: unknown, where: string, role: string): string | null {
  const a = account as { account?: unknown; requiresOpenaiAuth?: unknown } | null;
  if (a?.account == null && a?.requiresOpenaiAuth === true)
    return `codex on ${where} is not logged in (its provider needs an OpenAI login); the operator logs in: hutctl codex login ${role}`;
  return null;
}

export async function codexStatus(
  config: HutConfig,
  role: string,
  target: Target,
  signal?: AbortSignal,
): Promise<CodexStatus> {
  const transport = transportFor(target, config);
  await transport.connect(signal);
  const where = transport.describe();
  const argv = appServerArgv(target);
  const status: CodexStatus = {
    role,
    target: target.name,
    via: where,
    installed: false,
    version: null,
    pinned: CODEX_PIN,
    account: null,
    requires_openai_auth: null,
    ready: false,
    problem: null,
    action: null,
  };
  const workdir = missingWorkdir(transport);
  if (workdir) return notReady(status, workdir);
  // The fast path, one remote command that starts codex once: `codex login status` (≈ 75 ms of
  // codex against ≈ 370 ms to start its App Server), and `codex --version` only for a codex whose
  // files changed since hutctl last asked (codex-quick.ts). Only a codex that says it is not
  // logged in is asked through the App Server whether its provider needs a login at all.
  const quick = await quickCheck(
    transport,
    codexArgv(target, []),
    target.workdir,
    config.paths.stateDir,
  );
  if (quick.installed && quick.loggedIn) {
    status.installed = true;
    status.version = quick.version;
    status.account = quick.account;
    if (status.version !== CODEX_PIN) {
      status.problem = `codex ${status.version ?? '(unknown version)'} on ${where}, not the pinned ${CODEX_PIN} (hutctl speaks its App Server protocol)`;
      status.action = `install it there: npm install -g @openai/codex@${CODEX_PIN}`;
    }
    status.ready = status.problem === null;
    return status;
  }
  const child = transport.spawn(argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    ownGroup: true,
    ...(target.workdir ? { cwd: target.workdir } : {}),
  });
  const peer = new AppServerPeer(child, {
    record: () => {},
    notification: () => {},
    request: async () => ({}),
  });
  let waited = false;
  const deadline = setTimeout(() => {
    waited = true;
    void peer.close();
  }, 30_000);
  try {
    const hello = await peer.request('initialize', {
      clientInfo: { name: 'hutctl', title: 'hutctl', version: '0.1.0' },
      capabilities: { experimentalApi: false },
    });
    peer.notify('initialized');
    status.installed = true;
    status.version = versionOf(hello);
    const account = (await peer.request('account/read', {})) as {
      account?: { type?: string } | null;
      requiresOpenaiAuth?: boolean;
    };
    status.account = account.account?.type ?? null;
    status.requires_openai_auth = account.requiresOpenaiAuth ?? null;
    const login = accountProblem(account, where, role);
    if (status.version !== CODEX_PIN) {
      status.problem = `codex ${status.version ?? '(unknown version)'} on ${where}, not the pinned ${CODEX_PIN} (hutctl speaks its App Server protocol)`;
      status.action = `install it there: npm install -g @openai/codex@${CODEX_PIN}`;
    } else if (login) {
      status.problem = login.split(';')[0]!;
      status.action = `hutctl codex login ${role} (a device code for the operator), or pipe an API key into hutctl codex login ${role} --with-api-key`;
    }
  } catch (error) {
    const reason = (error as Error).message;
    const workdirGone = missingWorkdir(transport, reason);
    if (workdirGone) return notReady(status, workdirGone);
    const missing = missingCodex(reason, argv, where);
    // Ended before it answered: the command's fault, unless ssh lost the host (its exit 255).
    const ended =
      error instanceof RpcError &&
      error.code === EXITED &&
      !waited &&
      !(target.transport === 'ssh' && reason.includes(' status 255 '));
    if (missing) {
      status.problem = missing.split(';')[0]!;
      status.action = `npm install -g @openai/codex@${CODEX_PIN} on ${where}, or set targets.${target.name}.codex.command in hutctl.yaml`;
    } else if (ended) {
      status.problem = `${reason.replace('codex app-server', `codex app-server '${codexProgram(argv)}' on ${where}`)}`;
      status.action = `run targets.${target.name}.codex.command on ${where} to see why it ends, and fix it in hutctl.yaml`;
    } else throw new HutError('CONNECT', `codex app-server on ${where} did not answer: ${reason}`);
  } finally {
    clearTimeout(deadline);
    await peer.close();
  }
  status.ready = status.problem === null;
  return status;
}

/** `status`, not ready because of `problem` ("what is wrong; what to do"). */
function notReady(status: CodexStatus, problem: string): CodexStatus {
  const at = problem.indexOf('; ');
  status.problem = problem.slice(0, at);
  status.action = problem.slice(at + 2);
  return status;
}
