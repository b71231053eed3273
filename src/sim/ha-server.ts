/**
 * A simulated Home Assistant: the REST API as reference/apis.md §1 documents it — Bearer auth
 * with a text 401, `200 []` for a service call on an unknown entity, JSON 404 for an unknown
 * state, text 400 for an unknown service, text or JSON 500 for a failing device — with switch
 * entities that power simulated boards, optional latency, and injected failures.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EntityFailure } from './faults.ts';

export interface SimEntity {
  entity_id: string;
  state: string;
  failure: EntityFailure;
  last_changed: string;
}

export interface SimHomeAssistantOptions {
  token: string;
  entities: string[];
  port?: number;
  latencyMs?: number;
  /** Called when a switch really changes (the relay clicks). */
  onSwitch?: (entityId: string, state: 'on' | 'off') => void;
  /** Extra routes under /sim/ for the simulator's own control (same token). */
  onControl?: (path: string, body: Record<string, unknown>) => Promise<unknown> | unknown;
}

export interface SimHomeAssistant {
  url: string;
  port: number;
  entities: Map<string, SimEntity>;
  latencyMs: number;
  close(): Promise<void>;
}

export async function startSimHomeAssistant(
  options: SimHomeAssistantOptions,
): Promise<SimHomeAssistant> {
  const now = () => new Date().toISOString();
  const entities = new Map<string, SimEntity>(
    options.entities.map((id) => [
      id,
      { entity_id: id, state: 'off', failure: 'none', last_changed: now() },
    ]),
  );
  const sim: SimHomeAssistant = {
    url: '',
    port: 0,
    entities,
    latencyMs: options.latencyMs ?? 0,
    close: async () => {},
  };
  const asState = (e: SimEntity) => ({
    entity_id: e.entity_id,
    state: e.state,
    attributes: { friendly_name: e.entity_id },
    last_changed: e.last_changed,
    last_reported: e.last_changed,
    last_updated: e.last_changed,
    context: { id: `sim${Date.now()}`, parent_id: null, user_id: null },
  });

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    if (req.headers.authorization !== `Bearer ${options.token}`)
      return text(res, 401, '401: Unauthorized');
    if (path.startsWith('/sim/')) {
      const parsed = parseJson(body);
      if (parsed === undefined) return json(res, 400, { message: 'Data should be valid JSON.' });
      try {
        return json(
          res,
          200,
          (await options.onControl?.(path, (parsed ?? {}) as Record<string, unknown>)) ?? {
            ok: true,
          },
        );
      } catch (error) {
        return json(res, 400, { message: (error as Error).message });
      }
    }
    if (sim.latencyMs > 0) await new Promise((r) => setTimeout(r, sim.latencyMs));
    if (req.method === 'GET' && path === '/api/')
      return json(res, 200, { message: 'API running.' });
    if (req.method === 'GET' && path === '/api/states')
      return json(res, 200, [...entities.values()].map(asState));
    const state = /^\/api\/states\/(.+)$/.exec(path);
    if (req.method === 'GET' && state) {
      const entity = entities.get(decodeURIComponent(state[1]!));
      return entity
        ? json(res, 200, asState(entity))
        : json(res, 404, { message: 'Entity not found.' });
    }
    const service = /^\/api\/services\/([a-z_]+)\/([a-z_]+)$/.exec(path);
    if (req.method === 'POST' && service) {
      const data = body === '' ? {} : parseJson(body);
      if (data === undefined) return json(res, 400, { message: 'Data should be valid JSON.' });
      const action = { turn_on: 'on', turn_off: 'off' }[service[2]!] as 'on' | 'off' | undefined;
      if (!action || !['switch', 'input_boolean', 'light', 'homeassistant'].includes(service[1]!)) {
        return text(res, 400, '400: Bad Request');
      }
      const ids = ([] as unknown[]).concat((data as { entity_id?: unknown })?.entity_id ?? []);
      const changed: ReturnType<typeof asState>[] = [];
      for (const id of ids) {
        const entity = entities.get(String(id));
        if (!entity || entity.state === 'unavailable') continue; // HA skips these silently
        if (entity.failure === 'error_text') {
          return text(res, 500, '500 Internal Server Error\n\nServer got itself in trouble');
        }
        if (entity.failure === 'error_json') return json(res, 500, { message: 'device offline' });
        if (entity.failure === 'stuck') continue;
        if (entity.state !== action) {
          entity.state = action;
          entity.last_changed = now();
          options.onSwitch?.(entity.entity_id, action);
          changed.push(asState(entity));
        }
      }
      return json(res, 200, changed);
    }
    return json(res, 404, { message: 'Not found' });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  sim.port = port;
  sim.url = `http://127.0.0.1:${port}`;
  sim.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sim;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => resolve(body));
  });
}

function parseJson(body: string): unknown {
  try {
    return body === '' ? null : JSON.parse(body);
  } catch {
    return undefined;
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
