/** Whether an address is this machine's loopback. */

/** Whether `host` (a bind address, or a URL's hostname without its brackets) is loopback only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
