/** A heartbeat: who and where a target is, how long it has been up, its free disk and load. */
import type { Transport } from './transport.ts';

export interface Heartbeat {
  target: string;
  transport: string;
  address: string;
  hostname: string;
  user: string;
  uptime_sec: number;
  load: [number, number, number];
  disk: { path: string; total_bytes: number; free_bytes: number };
  latency_ms: number;
}

const SCRIPT = `uname -n; id -un; cut -d' ' -f1 /proc/uptime; cut -d' ' -f1-3 /proc/loadavg; df -Pk -- "$1" | tail -n 1`;

export async function heartbeat(transport: Transport, signal?: AbortSignal): Promise<Heartbeat> {
  const began = performance.now();
  await transport.connect(signal);
  const path = transport.target.workdir ?? '/';
  const child = transport.spawn(['sh', '-c', SCRIPT, 'hutctl-heartbeat', path], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: '/',
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const lines = out.trim().split('\n');
  if (code !== 0 || lines.length < 5) {
    throw new Error(
      `heartbeat script failed on ${transport.describe()} (exit ${code}): ${err.trim()}`,
    );
  }
  const [host, user, uptime, load, df] = lines as [string, string, string, string, string];
  const dfFields = df.trim().split(/\s+/);
  const loads = load.split(' ').map(Number) as [number, number, number];
  return {
    target: transport.target.name,
    transport: transport.target.transport,
    address: transport.describe(),
    hostname: host,
    user,
    uptime_sec: Math.round(Number(uptime)),
    load: loads,
    disk: {
      path,
      total_bytes: Number(dfFields[1]) * 1024,
      free_bytes: Number(dfFields[3]) * 1024,
    },
    latency_ms: Math.round(performance.now() - began),
  };
}
