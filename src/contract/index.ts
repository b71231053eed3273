/** The WS2 job contract: schemas, validation, ids and evidence names. */

export { idSchema } from './id-schemas.ts';
export {
  checkId,
  evidenceBaseName,
  type IdKind,
  isSafeId,
  isValidId,
  parseEvidenceBaseName,
  utcIso,
  utcStamp,
} from './ids.ts';
export {
  CONTRACTS,
  type ContractName,
  type Invocation,
  jsonSchemaOf,
  REPORT_STATUSES,
  type Report,
  type ReportStatus,
  ROLE_TIMEOUTS,
  reportSchema,
  type StepResult,
  TARGET_ROLES,
} from './schemas.ts';
export {
  type Checked,
  type ContractCheck,
  type ContractIssue,
  checkContract,
  checkSchema,
  parseInvocation,
  parseJsonText,
  validateInvocation,
} from './validate.ts';
