/**
 * A power backend switches one relay and reads it back. The cycle procedure (power/cycle.ts)
 * is shared; a backend is one small file under power/backends/.
 */

/** What a relay reports: on, off, or what Home Assistant says when it cannot tell. */
export type RelayState = 'on' | 'off' | 'unavailable' | 'unknown' | (string & {});

export interface PowerBackend {
  /** `homeassistant switch.hut_01_power` or `command uhubctl …`, for messages. */
  describe(): string;
  set(state: 'on' | 'off', signal: AbortSignal): Promise<void>;
  get(signal: AbortSignal): Promise<RelayState>;
}

/** A backend failure: the relay's controller answered with an error or did not answer. */
export class PowerError extends Error {
  readonly kind: 'ha_error' | 'timeout';
  /** Never worth retrying (e.g. HTTP 401: retries only earn an IP ban). */
  readonly fatal: boolean;
  readonly status: number | undefined;

  constructor(
    kind: 'ha_error' | 'timeout',
    message: string,
    options: { fatal?: boolean; status?: number } = {},
  ) {
    super(message);
    this.name = 'PowerError';
    this.kind = kind;
    this.fatal = options.fatal ?? false;
    this.status = options.status;
  }
}
