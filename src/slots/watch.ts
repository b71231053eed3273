/** Watches a slot's serial link during a job: a board that drops off USB and comes back is noted. */
import { realpathSync } from 'node:fs';

export interface LinkEvent {
  at_utc: string;
  tty: string | null;
}

export interface LinkWatch {
  /** Every change of what the link resolves to (null while it is gone), first entry = start. */
  events: LinkEvent[];
  stop(): LinkEvent[];
}

export function ttyOf(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

export function watchLink(path: string, everyMs = 100): LinkWatch {
  const events: LinkEvent[] = [{ at_utc: new Date().toISOString(), tty: ttyOf(path) }];
  const timer = setInterval(() => {
    const tty = ttyOf(path);
    if (tty !== events.at(-1)!.tty) events.push({ at_utc: new Date().toISOString(), tty });
  }, everyMs);
  // A watch never keeps hutctl alive by itself (a fault that skips stop() must not hang it).
  timer.unref();
  return {
    events,
    stop() {
      clearInterval(timer);
      const tty = ttyOf(path);
      if (tty !== events.at(-1)!.tty) events.push({ at_utc: new Date().toISOString(), tty });
      return events;
    },
  };
}
