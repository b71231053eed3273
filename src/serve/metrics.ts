/** `/metrics`: the farm in Prometheus's text exposition format (version 0.0.4). */
import type { ServeContext } from './views.ts';
import { queueView, runningJobs, slotsView } from './views.ts';

const escapeLabel = (value: string) =>
  value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

class Exposition {
  readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Record<string, string>, value: number): this {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    this.lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value}`);
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export async function metricsText(ctx: ServeContext): Promise<string> {
  const out = new Exposition();
  const slots = await slotsView(ctx);
  out.family(
    'hutctl_slot_state',
    'gauge',
    'Whether the slot is in this state now (free, busy, missing).',
  );
  for (const s of slots)
    for (const state of ['free', 'busy', 'missing'])
      out.sample('hutctl_slot_state', { slot: s.slot, state }, s.state === state ? 1 : 0);
  out.family('hutctl_slot_health', 'gauge', "Whether the slot's health is this state now.");
  for (const s of slots)
    if (s.health)
      for (const state of ['good', 'unknown', 'bad', 'maintenance', 'retired', 'looping'])
        out.sample('hutctl_slot_health', { slot: s.slot, state }, s.health.state === state ? 1 : 0);
  out.family(
    'hutctl_slot_flash_failure_ratio',
    'gauge',
    "Share of the slot's hil runs that failed to flash.",
  );
  for (const s of slots)
    if (s.health?.counters.flash_failure_rate != null)
      out.sample(
        'hutctl_slot_flash_failure_ratio',
        { slot: s.slot },
        s.health.counters.flash_failure_rate,
      );
  out.family(
    'hutctl_slot_boot_failure_ratio',
    'gauge',
    "Share of the slot's hil runs that failed to boot.",
  );
  for (const s of slots)
    if (s.health?.counters.boot_failure_rate != null)
      out.sample(
        'hutctl_slot_boot_failure_ratio',
        { slot: s.slot },
        s.health.counters.boot_failure_rate,
      );
  out.family('hutctl_jobs_running', 'gauge', 'Jobs running now.');
  out.sample('hutctl_jobs_running', {}, runningJobs(ctx).length);
  out.family('hutctl_lock_waits', 'gauge', 'Jobs waiting for a slot now.');
  out.sample('hutctl_lock_waits', {}, (await queueView(ctx)).length);
  if (ctx.db) {
    out.family('hutctl_jobs_total', 'counter', 'Jobs in the ledger by status.');
    for (const row of await ctx.db.all<{ status: string; n: number }>(
      'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status',
    ))
      out.sample('hutctl_jobs_total', { status: row.status }, Number(row.n));
    out.family('hutctl_power_events_total', 'counter', 'Power events by slot, action and result.');
    for (const row of await ctx.db.all<{ slot: string; action: string; status: string; n: number }>(
      'SELECT slot, action, status, COUNT(*) AS n FROM power_events GROUP BY slot, action, status ORDER BY slot, action, status',
    ))
      out.sample(
        'hutctl_power_events_total',
        { slot: row.slot, action: row.action, status: row.status },
        Number(row.n),
      );
    out.family('hutctl_hil_results_total', 'counter', 'Hardware test results by slot and status.');
    for (const row of await ctx.db.all<{ slot: string; status: string; n: number }>(
      'SELECT slot, status, COUNT(*) AS n FROM hil_results GROUP BY slot, status ORDER BY slot, status',
    ))
      out.sample('hutctl_hil_results_total', { slot: row.slot, status: row.status }, Number(row.n));
  }
  out.family('hutctl_leases', 'gauge', 'Slots leased to agents now.');
  out.sample('hutctl_leases', {}, slots.filter((s) => s.lease).length);
  return out.text();
}
