/** Delegation to the roles' Codex runtimes through the Codex App Server. */

export {
  appServerArgv,
  CODEX_PIN,
  type CodexStatus,
  codexArgv,
  codexStatus,
} from './codex.ts';
export {
  type ApprovalPolicy,
  type DelegateOptions,
  type DelegateOutcome,
  delegate,
} from './run.ts';
export { findThread, listThreads, recordThread, type ThreadRecord } from './threads.ts';
