/**
 * Home Assistant over REST with a long-lived token.
 *
 *   home_assistant: {url: http://ha.local:8123, token_env: HA_TOKEN}   # or token_file (mode 0600)
 *   slots: {hut-01: {serial: ..., power: {backend: homeassistant, entity: switch.hut_01_power}}}
 *
 * `POST /api/services/<domain>/turn_on|turn_off` answers `200 []` even for an unknown entity, so
 * the state is always read back with `GET /api/states/<entity>`. Error bodies are text
 * (`401: Unauthorized`, `400: Bad Request`, `500 Internal Server Error…`) or JSON `{"message"}`.
 * Every answer goes through http/: at most 1 MiB, a success must be JSON, and whatever else comes
 * back (an HTML proxy page, a reset, a flood) is an `ha_error` that says so, never a crash.
 */
import { statSync } from 'node:fs';
import type { HomeAssistantSettings } from '../../config/index.ts';
import { HutError } from '../../errors/index.ts';
import { FileReadError, fsReason, readTextFile } from '../../files/index.ts';
import { oneLine } from '../../format/index.ts';
import { bodySummary, isHttpError, request } from '../../http/index.ts';
import { addSecret } from '../../secrets/index.ts';
import { type PowerBackend, PowerError, type RelayState } from '../backend.ts';

/** The most of a Home Assistant answer read: a state object is a few hundred bytes. */
export const HA_MAX_BYTES = 1024 * 1024;

/** A long-lived access token is a JWT of some 200 characters: a few KiB is far more. */
export const TOKEN_FILE_MAX_BYTES = 4 * 1024;

export class HomeAssistantBackend implements PowerBackend {
  private readonly settings: HomeAssistantSettings;
  private readonly entity: string;
  private readonly token: string;

  constructor(
    settings: HomeAssistantSettings,
    entity: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.settings = settings;
    this.entity = entity;
    this.token = readToken(settings, env);
    addSecret(this.token);
  }

  describe(): string {
    return `homeassistant ${this.entity} at ${this.settings.url}`;
  }

  async set(state: 'on' | 'off', signal: AbortSignal): Promise<void> {
    const domain = this.entity.split('.')[0] ?? 'switch';
    await this.request(
      'POST',
      `/api/services/${encodeURIComponent(domain)}/turn_${state}`,
      signal,
      {
        entity_id: this.entity,
      },
    );
  }

  async get(signal: AbortSignal): Promise<RelayState> {
    const path = `/api/states/${encodeURIComponent(this.entity)}`;
    const body = await this.request('GET', path, signal);
    const state = (body as { state?: unknown } | null)?.state;
    // HA states are at most 255 characters; anything else is not a state object.
    if (typeof state === 'string' && state.length <= 255 && oneLine(state, 255) === state)
      return state;
    throw new PowerError(
      'ha_error',
      `Home Assistant GET ${path}: 200 with JSON that is not a state object (${
        typeof state === 'string' ? '$.state is not a short printable string' : '$.state missing'
      })`,
    );
  }

  private async request(
    method: string,
    path: string,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<unknown> {
    const where = `Home Assistant ${method} ${path}`;
    try {
      const response = await request({
        url: `${this.settings.url}${path}`,
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
        timeoutMs: this.settings.timeoutSec * 1000,
        maxBytes: HA_MAX_BYTES,
        expect: 'json',
      });
      const { status } = response;
      if (status >= 200 && status < 300) return response.json;
      throw new PowerError(
        'ha_error',
        `${where}: ${status} ${bodySummary(response.mediaType, response.body)}`,
        { status, fatal: isAuthStatus(status) },
      );
    } catch (error) {
      if (!isHttpError(error)) throw error;
      if (error.kind === 'timeout') {
        throw new PowerError(
          'timeout',
          `Home Assistant did not answer ${method} ${path} within ${this.settings.timeoutSec} s`,
        );
      }
      if (error.kind === 'unreachable') {
        throw new PowerError(
          'ha_error',
          `cannot reach Home Assistant at ${this.settings.url}: ${error.message}`,
        );
      }
      throw new PowerError('ha_error', `${where}: ${error.message}`, {
        ...(error.status === undefined ? {} : { status: error.status }),
        fatal: isAuthStatus(error.status),
      });
    }
  }
}

/** 401 and 403 are never retried: with `login_attempts_threshold` set, retries earn an IP ban. */
function isAuthStatus(status: number | undefined): boolean {
  return status === 401 || status === 403;
}

/**
 * A bearer token is one word of printable ASCII (RFC 6750: letters, digits, `-._~+/` and `=`):
 * anything else (an empty file, a second line, a NUL, a file of environment variables) is not a
 * token, and is said as such before Home Assistant is asked, not as a network error after.
 */
function checkedToken(token: string, from: string): string {
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token))
    throw new HutError(
      'CONFIG',
      `${from} does not hold a token: ${token === '' ? 'it is empty' : 'a long-lived access token is one line of letters, digits and -._~+/='}`,
      {
        hint: 'put only the token there (Profile -> Security -> Long-lived access tokens in Home Assistant)',
      },
    );
  return token;
}

function readToken(settings: HomeAssistantSettings, env: NodeJS.ProcessEnv): string {
  if (settings.tokenEnv) {
    const value = env[settings.tokenEnv];
    if (value) return checkedToken(value.trim(), `home_assistant.token_env: ${settings.tokenEnv}`);
    if (!settings.tokenFile) {
      throw new HutError('CONFIG', `home_assistant.token_env: ${settings.tokenEnv} is not set`, {
        hint: `export ${settings.tokenEnv}=<long-lived access token> (Profile -> Security in Home Assistant)`,
      });
    }
  }
  if (settings.tokenFile) {
    const file = settings.tokenFile;
    let token: string;
    try {
      // A plain file only, and small: a FIFO, /dev/zero or a directory named here is refused,
      // never waited on or read to the end.
      token = readTextFile(file, TOKEN_FILE_MAX_BYTES).trim();
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      if (error.code === 'ENOENT')
        throw new HutError('CONFIG', `home_assistant.token_file: ${file} does not exist`);
      throw new HutError('CONFIG', `home_assistant.token_file: ${file}: ${error.reason}`, {
        hint: 'point token_file at a plain file (mode 0600) that holds only the token',
      });
    }
    // Read first, so that the mode is that of the plain file just read.
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch (error) {
      throw new HutError('CONFIG', `home_assistant.token_file: ${file}: ${fsReason(error)}`);
    }
    if ((mode & 0o077) !== 0) {
      throw new HutError(
        'CONFIG',
        `home_assistant.token_file: ${file} is readable by others (mode ${mode.toString(8)})`,
        {
          hint: `chmod 600 ${file}`,
        },
      );
    }
    return checkedToken(token, `home_assistant.token_file: ${file}`);
  }
  throw new HutError('CONFIG', 'home_assistant needs token_env or token_file', {
    hint: 'the token never goes in hutctl.yaml itself',
  });
}
