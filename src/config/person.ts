/** Who is running hutctl, as a decision or an edit records it: `user@host`. */
import { hostname, userInfo } from 'node:os';

/** The person at this host: $SUDO_USER when sudo made this process root, else the user. */
export function personAtHost(env: NodeJS.ProcessEnv = process.env): string {
  const sudo = process.getuid?.() === 0 ? env.SUDO_USER : undefined;
  const person = sudo && /^[a-z_][a-z0-9_.-]{0,31}$/.test(sudo) ? sudo : userInfo().username;
  return `${person}@${hostname()}`;
}
