/**
 * Debian's Chromium, headless, driven by playwright-core (no browser download). It may talk to
 * 127.0.0.1 only: every other host name resolves to nothing and every other connection goes to a
 * proxy that is not there; background networking, component updates, sync and first-run checks
 * are off, so the browser phones nowhere while a test runs.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) =>
  existsSync(p),
);

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('chromium is not installed (apt install chromium)');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      // The tests run as root, where Chromium's sandbox cannot start.
      '--no-sandbox',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--proxy-server=http://127.0.0.1:9',
      '--proxy-bypass-list=127.0.0.1',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-domain-reliability',
      '--disable-client-side-phishing-detection',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
    ],
  });
}
