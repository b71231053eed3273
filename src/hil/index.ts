/** The hardware lane: artifacts by SHA, HW-BOOT-001 runs and their CI outputs. */

export { wasInterrupted } from '../store/health.ts';
export {
  type ArtifactManifest,
  artifactDir,
  checkSha,
  getArtifact,
  listArtifacts,
  putArtifact,
  verifyArtifact,
} from './artifacts.ts';
export { fetchFromGithub, type GithubFetchOptions } from './github.ts';
export { checkSlot, healthCheckOn } from './health-check.ts';
export { recordSurface, updateSlotRows } from './record.ts';
export {
  EXIT_BLOCKED,
  exitStatus,
  githubAnnotations,
  githubOutputs,
  junitForError,
  junitXml,
  markdownSummary,
  resultTable,
  stripAnsi,
} from './report.ts';
export {
  firmwareCopiesDir,
  type HilResult,
  type HilRunOptions,
  runHil,
  TESTS,
} from './run.ts';
export { artifactSources } from './sources.ts';
export { surface } from './surface.ts';
