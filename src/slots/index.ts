/** HUT slots: the serial inventory, the slot map, slot locks and label routing, slot jobs. */
export { type DoctorFinding, doctor, proposeSlots } from './doctor.ts';
export { REFUSED_HINT, routableSlots } from './health.ts';
export {
  acquireHealthySlot,
  type CheckOutcome,
  type HealthySlotOptions,
  type RunHealthCheck,
} from './health-gate.ts';
export { describeLink, type SerialDevice, scanSerial } from './inventory.ts';
export { acquireSlot, type HeldSlot } from './lock.ts';
export { slotLockPath } from './paths.ts';
export { type BootVerdict, readBootLog } from './recovery.ts';
export { runSlotJob, type SlotRunOptions } from './run.ts';
export { type ScanResult, scanInventory } from './scan.ts';
export { lockSelftest, type SelftestResult } from './selftest.ts';
export { candidateSlots, getSlot, readSeen, recordSeen } from './slots.ts';
export { type SlotStatus, slotStatus } from './status.ts';
export { ttyOf } from './watch.ts';
export { mergeSlots, type SlotEntry, type SlotMerge } from './yaml-edit.ts';
