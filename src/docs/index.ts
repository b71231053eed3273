/** The team's coordination documents: handoff log, workstream board, Delegation Gate. */
export {
  ACTIVATION,
  type ActivationRow,
  type Board,
  type BoardRow,
  editRow,
  findRow,
  parseBoard,
  STATUSES,
  tableCells,
  touchLastUpdated,
} from './board.ts';
export { type CredCheck, checkCreds, credsRoot } from './creds.ts';
export { editDocument, readDocument } from './edit.ts';
export { delegationGate, type GateCheck } from './gate.ts';
export { type GoalDoc, parseGoal, tickChecklist } from './goal.ts';
export {
  ACTION_TYPES,
  CONTEXTS,
  formatHandoff,
  type HandoffEntry,
  insertHandoff,
  type NewHandoff,
  parseHandoffLog,
  summaryTags,
} from './handoff.ts';
export {
  listPackets,
  type NewPacket,
  type Packet,
  packetFileName,
  packetThreadRef,
  parsePacket,
  renderPacket,
} from './packets.ts';
export {
  ACTIVE_GOALS,
  BOARD,
  COORDINATION,
  type DocPaths,
  docPaths,
  findDocsRoot,
  HANDOFF_LOG,
  ROLE_COORDINATION,
  TICKETS,
} from './paths.ts';
export { type EvidenceRef, evidenceInstant, evidenceRefs, type ShaRef, shaRefs } from './refs.ts';
export { initRole } from './role-init.ts';
export { addTicket, parseTickets, setTicket, TICKET_STATUSES, type Ticket } from './tickets.ts';
export {
  lockTransport,
  parseTransportLock,
  TRANSPORT_LOCK,
  TRANSPORTS,
  type TransportLock,
} from './transport-lock.ts';
export {
  documentValue,
  escapeCell,
  flattenValue,
  type ValueKind,
  valueProblem,
} from './values.ts';
