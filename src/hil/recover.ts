/**
 * What hil does when a board stays silent (no boot marker in time): the gentlest reset first,
 * then the hardest. A serial reset (esptool's hard reset through RTS) where the slot's adapter
 * has modem lines and the profile allows it, then a power cycle through the slot's relay. Each
 * attempt is a recovery event of its own with its phase and what the boot did after it; a panic
 * or a reset loop is the firmware's answer and is never retried.
 */
import type { BootJudgement } from './serial.ts';

export type RecoveryPhase = 'serial-reset' | 'power-cycle';

export interface RecoveryEvent {
  phase: RecoveryPhase;
  /** What the boot did after this reset (`unsupported`: the port has no DTR/RTS, nothing done). */
  outcome: BootJudgement['outcome'] | 'power' | 'unsupported';
  detail: string | null;
}

/** A boot judged, or a power failure (`power`: the relay or the link did not come back). */
export type Judged =
  | BootJudgement
  | { outcome: 'power'; detail: string | null; reset_reason?: undefined };

export interface RecoverySteps {
  /** Where the events go as they happen (the caller's, so a run stopped midway keeps them). */
  events?: RecoveryEvent[];
  /** Resets through the adapter's RTS and judges the boot; null when the port has no modem lines. */
  serialReset: (() => Promise<Judged | null>) | null;
  /** Power-cycles the slot and judges the boot. */
  powerCycle: (() => Promise<Judged>) | null;
  note: (line: string) => void;
}

/** Escalates from `judged` (a hang) until the board answers or no reset is left. */
export async function recoverFromHang(
  judged: Judged,
  steps: RecoverySteps,
): Promise<{ judged: Judged; events: RecoveryEvent[] }> {
  const events = steps.events ?? [];
  if (judged.outcome !== 'hang') return { judged, events };
  const silent = judged.detail;
  if (steps.serialReset) {
    steps.note(`no boot marker (${silent}); recovery: a serial reset (EN through RTS)`);
    const after = await steps.serialReset();
    if (after === null) {
      events.push({
        phase: 'serial-reset',
        outcome: 'unsupported',
        detail: 'the port has no DTR/RTS lines',
      });
      steps.note('the port has no DTR/RTS lines: no serial reset');
    } else {
      events.push({ phase: 'serial-reset', outcome: after.outcome, detail: after.detail });
      judged = after;
    }
  }
  if (judged.outcome === 'hang' && steps.powerCycle) {
    steps.note(`no boot marker (${judged.detail}); recovery: a power cycle`);
    try {
      judged = await steps.powerCycle();
    } catch (error) {
      // An abort's own words ("The operation was aborted") say less than its reason does.
      const why = ((error as Error).cause as Error | undefined) ?? (error as Error);
      events.push({ phase: 'power-cycle', outcome: 'power', detail: why.message ?? String(why) });
      throw error;
    }
    events.push({ phase: 'power-cycle', outcome: judged.outcome, detail: judged.detail });
  }
  return { judged, events };
}

/** The recoveries that did something (a serial reset on a port without DTR/RTS did not). */
export function recoveriesDone(events: RecoveryEvent[]): RecoveryEvent[] {
  return events.filter((e) => e.outcome !== 'unsupported');
}

/** ` (after a serial reset)`, ` (after a serial reset and a power cycle)`, or nothing. */
export function recoveredBy(events: RecoveryEvent[]): string {
  const done = recoveriesDone(events);
  if (done.length === 0) return '';
  const words = done.map((e) => (e.phase === 'serial-reset' ? 'a serial reset' : 'a power cycle'));
  return ` (after ${words.join(' and ')})`;
}
