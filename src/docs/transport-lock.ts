/**
 * `documentation/agents/remote_transport_lock.md`: the single record of how `arch` prompts the
 * remote roles. Plain `key: value` lines (`status`, `locked_at_utc`, `primary_transport`,
 * `fallback_transport`) are read and rewritten in place; nothing else in the file changes.
 */
import { HutError } from '../errors/index.ts';
import { documentValue } from './values.ts';

export const TRANSPORT_LOCK = 'documentation/agents/remote_transport_lock.md';
export const TRANSPORTS = ['ssh', 'codex_app_server', 'codex_mcp_server'] as const;

export interface TransportLock {
  status: string;
  locked_at_utc: string | null;
  primary_transport: string;
  fallback_transport: string;
}

const KEYS = ['status', 'locked_at_utc', 'primary_transport', 'fallback_transport'] as const;

export function parseTransportLock(text: string, where: string): TransportLock {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+):\s*(.*)$/.exec(line);
    if (match && (KEYS as readonly string[]).includes(match[1]!))
      values[match[1]!] ??= match[2]!.trim();
  }
  for (const key of ['status', 'primary_transport'] as const) {
    if (!values[key])
      throw new HutError('INPUT', `${where}: no '${key}:' line; the file was left untouched`);
  }
  return {
    status: values.status!,
    locked_at_utc:
      !values.locked_at_utc || values.locked_at_utc === '(unset)' ? null : values.locked_at_utc,
    primary_transport: values.primary_transport!,
    fallback_transport: values.fallback_transport ?? 'ssh',
  };
}

/** Locks the record to `primary` (with `fallback`), rewriting only the four key lines. */
export function lockTransport(
  text: string,
  where: string,
  primary: string,
  fallback: string,
  now = new Date(),
): string {
  parseTransportLock(text, where);
  for (const t of [primary, fallback]) {
    if (!(TRANSPORTS as readonly string[]).includes(t))
      throw new HutError('INPUT', `transport ${t}: expected one of ${TRANSPORTS.join(', ')}`);
  }
  const set: Record<string, string> = {
    status: 'locked',
    locked_at_utc: `${now.toISOString().slice(0, 19)}Z`,
    primary_transport: primary,
    fallback_transport: fallback,
  };
  const seen = new Set<string>();
  return text
    .split('\n')
    .map((line) => {
      const key = /^([a-z_]+):/.exec(line)?.[1];
      if (!key || !(key in set) || seen.has(key)) return line;
      seen.add(key);
      return `${key}: ${documentValue('transport lock', key, set[key]!, 'line')}`;
    })
    .join('\n');
}
