/** The simulated farm: PTY boards and a simulated Home Assistant, for the demo and the tests. */
export { BOARD_MODES, type BoardMode, READY_MARKER, SimBoard } from './board.ts';
export { entityOf, type SimFarm, type SimState, slotIdOf, startSimFarm } from './farm.ts';
export {
  type EntityFailure,
  type SimEntity,
  type SimHomeAssistant,
  startSimHomeAssistant,
} from './ha-server.ts';
