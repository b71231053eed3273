/**
 * A run's phases with their durations, from its evidence: a hil run's lock → power → flash →
 * boot → test → report, or a job's steps (and the power cycles of its recoveries). The page
 * draws them as one bar, so a slow flash or a long lock wait shows at a glance.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEvidenceBaseName } from '../contract/ids.ts';
import type { ServeContext } from './views.ts';

export interface Phase {
  phase: string;
  ms: number;
  status?: string;
}

export interface Timeline {
  evidence: string;
  kind: 'hil' | 'job';
  start_utc: string;
  end_utc: string | null;
  status: string;
  phases: Phase[];
}

export async function timelineOf(ctx: ServeContext, base: string): Promise<Timeline | null> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,250}$/.test(base) || !parseEvidenceBaseName(base)) return null;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await readFile(join(ctx.config.paths.evidenceDir, `${base}.json`), 'utf8'));
  } catch {
    return null;
  }
  const powerOf = async (slot: unknown, from: string, to: string) => {
    if (!ctx.db || typeof slot !== 'string') return [];
    return ctx.db.all<{ action: string; status: string; total_ms: number }>(
      'SELECT action, status, total_ms FROM power_events WHERE slot = ? AND started_utc >= ? AND started_utc <= ? ORDER BY started_utc',
      [slot, from, to],
    );
  };
  if (doc.schema_version === 'hutctl.hil-result.v1') {
    const start = String(doc.started_utc);
    const end = String(doc.ended_utc);
    const total = Date.parse(end) - Date.parse(start);
    const phases: Phase[] = [];
    for (const p of await powerOf(doc.slot, start, end))
      phases.push({ phase: `power ${p.action}`, ms: Number(p.total_ms), status: p.status });
    if (typeof doc.flash_ms === 'number') phases.push({ phase: 'flash', ms: doc.flash_ms });
    if (typeof doc.boot_ms === 'number') phases.push({ phase: 'boot', ms: doc.boot_ms });
    const known = phases.reduce((sum, p) => sum + p.ms, 0);
    // The rest: verifying the artifact, taking the port, judging and writing the result.
    if (total > known) phases.push({ phase: 'other', ms: total - known });
    return {
      evidence: base,
      kind: 'hil',
      start_utc: start,
      end_utc: end,
      status: `${doc.status} (${doc.phase})`,
      phases,
    };
  }
  if (doc.schema_version === 'ws2.report.v1') {
    const steps =
      (doc.steps as Array<{
        index: number;
        command: string;
        duration_sec: number;
        exit_code: number | null;
      }>) ?? [];
    const phases: Phase[] = steps.map((s) => ({
      phase: `step ${s.index + 1}: ${s.command.slice(0, 60)}`,
      ms: Math.round(s.duration_sec * 1000),
      status: s.exit_code === null ? 'ended by signal' : `exit ${s.exit_code}`,
    }));
    for (const p of await powerOf(doc.slot, String(doc.start_utc), String(doc.end_utc)))
      phases.push({ phase: `power ${p.action}`, ms: Number(p.total_ms), status: p.status });
    return {
      evidence: base,
      kind: 'job',
      start_utc: String(doc.start_utc),
      end_utc: String(doc.end_utc),
      status: String(doc.status),
      phases,
    };
  }
  return null;
}
