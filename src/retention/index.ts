/** Retention: `store gc` removes old evidence, artifacts and firmware copies, and their ledger rows. */
export { type GcKind, type GcOptions, type GcSummary, keepPeriod, storeGc } from './gc.ts';
