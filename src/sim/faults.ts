/**
 * The faults a simulated board and relay can be given (`sim board --mode`, `sim relay
 * --failure`): names only, so the CLI offers and checks them without loading the farm.
 */
export const BOARD_MODES = ['normal', 'panic', 'bootloop', 'hang', 'hang-once'] as const;
export type BoardMode = (typeof BOARD_MODES)[number];

export const RELAY_FAILURES = ['none', 'error_text', 'error_json', 'stuck', 'unavailable'] as const;
export type EntityFailure = (typeof RELAY_FAILURES)[number];
