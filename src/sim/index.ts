/** The simulated farm: PTY boards and a simulated Home Assistant, for the demo and the tests. */
export { READY_MARKER, SimBoard } from './board.ts';
export { entityOf, type SimFarm, type SimState, slotIdOf, startSimFarm } from './farm.ts';
export { BOARD_MODES, type BoardMode, type EntityFailure, RELAY_FAILURES } from './faults.ts';
export { type SimEntity, type SimHomeAssistant, startSimHomeAssistant } from './ha-server.ts';
