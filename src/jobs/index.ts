/** Jobs: the WS2 executor and what reads its evidence back. */
export { cancelFlagPath, clearCancel, readCancel, requestCancel } from './cancel.ts';
export {
  executorAlive,
  findJobEvidence,
  type JobEvidence,
  type RunningRecord,
  readReport,
  readRunning,
  runState,
} from './evidence.ts';
export { EvidenceLog } from './evidence-log.ts';
export {
  type AcquireRequest,
  EXIT_FOR_STATUS,
  type JobOutcome,
  type JobProgress,
  prepareEvidenceDir,
  type RunJobOptions,
  runJob,
  type StepFailure,
} from './executor.ts';
export { checkTimeout, jobLockPath, ROLE_TIMEOUTS } from './policy.ts';
export { RedactStream } from './redact.ts';
export { type RunningStep, startStep } from './step.ts';
