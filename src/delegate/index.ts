/** Delegation to the roles' Codex runtimes through the Codex App Server. */
export {
  type ApprovalPolicy,
  type DelegateOptions,
  type DelegateOutcome,
  delegate,
} from './run.ts';
export { findThread, listThreads, recordThread, type ThreadRecord } from './threads.ts';
