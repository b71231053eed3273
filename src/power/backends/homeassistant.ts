/**
 * Home Assistant over REST with a long-lived token.
 *
 *   home_assistant: {url: http://ha.local:8123, token_env: HA_TOKEN}   # or token_file (mode 0600)
 *   slots: {hut-01: {serial: ..., power: {backend: homeassistant, entity: switch.hut_01_power}}}
 *
 * `POST /api/services/<domain>/turn_on|turn_off` answers `200 []` even for an unknown entity, so
 * the state is always read back with `GET /api/states/<entity>`. Error bodies are text
 * (`401: Unauthorized`, `400: Bad Request`, `500 Internal Server Error…`) or JSON `{"message"}`.
 */
import { readFileSync, statSync } from 'node:fs';
import type { HomeAssistantSettings } from '../../config/index.ts';
import { HutError } from '../../errors/index.ts';
import { type PowerBackend, PowerError, type RelayState } from '../backend.ts';

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
  }

  describe(): string {
    return `homeassistant ${this.entity} at ${this.settings.url}`;
  }

  async set(state: 'on' | 'off', signal: AbortSignal): Promise<void> {
    const domain = this.entity.split('.')[0] ?? 'switch';
    await this.request('POST', `/api/services/${domain}/turn_${state}`, signal, {
      entity_id: this.entity,
    });
  }

  async get(signal: AbortSignal): Promise<RelayState> {
    const body = (await this.request('GET', `/api/states/${this.entity}`, signal)) as {
      state?: unknown;
    };
    return typeof body?.state === 'string' ? body.state : 'unknown';
  }

  private async request(
    method: string,
    path: string,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.settings.timeoutSec * 1000);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let response: { status: number; text: string };
    try {
      response = await send(new URL(`${this.settings.url}${path}`), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(payload === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(payload)),
              }),
        },
        signal: AbortSignal.any([signal, timeout]),
        payload,
      });
    } catch (error) {
      if (timeout.aborted) {
        throw new PowerError(
          'timeout',
          `Home Assistant did not answer ${method} ${path} within ${this.settings.timeoutSec} s`,
        );
      }
      if (signal.aborted) throw error;
      throw new PowerError(
        'ha_error',
        `cannot reach Home Assistant at ${this.settings.url}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    const { status, text } = response;
    if (status >= 200 && status < 300) return text ? JSON.parse(text) : null;
    throw new PowerError(
      'ha_error',
      `Home Assistant ${method} ${path}: ${status} ${errorText(text)}`,
      {
        status,
        fatal: status === 401 || status === 403,
      },
    );
  }
}

/**
 * One HTTP exchange with node:http(s) rather than fetch: a power cycle makes four small calls,
 * and fetch's first call costs tens of milliseconds of loading before it sends anything. The
 * default agent keeps the connection open between the calls.
 */
async function send(
  url: URL,
  options: {
    method: string;
    headers: Record<string, string>;
    signal: AbortSignal;
    payload: string | undefined;
  },
): Promise<{ status: number; text: string }> {
  const { request } =
    url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method, headers: options.headers, signal: options.signal },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.payload);
  });
}

/** `{"message": "..."}` or the plain text body, on one line. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {}
  return body.replace(/\s+/g, ' ').trim() || '(empty body)';
}

function readToken(settings: HomeAssistantSettings, env: NodeJS.ProcessEnv): string {
  if (settings.tokenEnv) {
    const value = env[settings.tokenEnv];
    if (value) return value.trim();
    if (!settings.tokenFile) {
      throw new HutError('CONFIG', `home_assistant.token_env: ${settings.tokenEnv} is not set`, {
        hint: `export ${settings.tokenEnv}=<long-lived access token> (Profile -> Security in Home Assistant)`,
      });
    }
  }
  if (settings.tokenFile) {
    let mode: number;
    try {
      mode = statSync(settings.tokenFile).mode & 0o777;
    } catch {
      throw new HutError(
        'CONFIG',
        `home_assistant.token_file: ${settings.tokenFile} does not exist`,
      );
    }
    if ((mode & 0o077) !== 0) {
      throw new HutError(
        'CONFIG',
        `home_assistant.token_file: ${settings.tokenFile} is readable by others (mode ${mode.toString(8)})`,
        {
          hint: `chmod 600 ${settings.tokenFile}`,
        },
      );
    }
    return readFileSync(settings.tokenFile, 'utf8').trim();
  }
  throw new HutError('CONFIG', 'home_assistant needs token_env or token_file', {
    hint: 'the token never goes in hutctl.yaml itself',
  });
}
