/**
 * The dashboard in a real headless Chromium against `hutctl serve` on the simulated farm: the
 * page shows the farm's slots, a `slot run` started from the CLI appears live with its output,
 * a power cycle from the page (signed in with the token) reaches the simulated relay and shows
 * in the action log, and without the token the page cannot act. With HUTCTL_SCREENSHOTS=1 the
 * screenshots are written to docs/images/ (the README shows them).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { finished, startCli, tempDir } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';
import { startServe, type TestServe } from '../support/serve.ts';

let t: TestFarm;
let s: TestServe;
let browser: Browser;
const shots =
  process.env.HUTCTL_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../docs/images/', import.meta.url))
    : tempDir('hutctl-shots-');

before(async () => {
  mkdirSync(shots, { recursive: true });
  t = await startTestFarm(3);
  s = await startServe(t);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await s?.stop();
  await t?.stop();
});

async function open(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('requestfailed', (r) => {
    if (!r.url().startsWith(s.url)) errors.push(`a request left the test's server: ${r.url()}`);
  });
  await page.goto(`${s.url}/`);
  await page.waitForSelector('body[data-loaded]');
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

const row = (page: Page, slot: string) => page.locator('#slots tr', { hasText: slot });

test('the page shows the farm, and a slot run from the CLI appears live with its output', async () => {
  const page = await open();
  for (const slot of ['hut-01', 'hut-02', 'hut-03']) {
    await row(page, slot).waitFor();
    assert.match((await row(page, slot).textContent()) ?? '', /free\s*good/);
  }
  const job = startCli(
    [
      'slot',
      'run',
      'hut-01',
      '--',
      'sh',
      '-c',
      'for i in 1 2 3; do echo "boot line $i"; sleep 0.7; done',
    ],
    { cwd: t.dir, env: { HUTCTL_CONFIG: t.farm.configPath } },
  );
  const ended = finished(job);
  job.stdin!.end();
  // No reload: the change stream brings the holder, then the output as it is written.
  await page.waitForFunction(() =>
    /busy/.test(document.querySelector('#slots')?.textContent ?? ''),
  );
  await page.waitForFunction(() =>
    /boot line 2/.test(document.querySelector('#serial .xterm-rows')?.textContent ?? ''),
  );
  assert.match((await row(page, 'hut-01').textContent()) ?? '', /slot-hut-01-.* on /);
  await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
  assert.equal((await ended).code, 0);
  await page.waitForFunction(() =>
    /boot line 3/.test(document.querySelector('#serial .xterm-rows')?.textContent ?? ''),
  );
  // The job lands in the ledger, and the page shows it without a reload.
  await page.waitForFunction(() =>
    /success/.test(document.querySelector('#jobs')?.textContent ?? ''),
  );
  await page.waitForFunction(() =>
    /free/.test(document.querySelector('#slots tbody tr')?.textContent ?? ''),
  );
  assert.deepEqual((page as Page & { errors: string[] }).errors, []);
  await page.close();
});

test('a power cycle from the page needs the token, reaches the relay, and is in the action log', async () => {
  const page = await open();
  const entity = t.farm.ha.entities.get('switch.hut_02_power')!;
  const before = entity.last_changed;

  // Not signed in: the page says so and nothing happens; the API itself refuses.
  await row(page, 'hut-02').getByRole('button', { name: 'power cycle' }).click();
  await page.waitForFunction(() =>
    /sign in first/.test(document.querySelector('#message')?.textContent ?? ''),
  );
  const refused = await page.evaluate(async () => {
    const r = await fetch('/api/slots/hut-02/power', {
      method: 'POST',
      body: JSON.stringify({ action: 'cycle', reason: 'x' }),
    });
    return r.status;
  });
  assert.equal(refused, 401);
  assert.equal(entity.last_changed, before);

  // Signed in (the token typed into the prompt), with a reason for the log.
  const answers = [s.token!, 'relay test from the dashboard'];
  page.on('dialog', (dialog) => void dialog.accept(answers.shift()));
  await page.getByRole('button', { name: 'sign in' }).click();
  await page.getByRole('button', { name: 'sign out' }).waitFor();
  await row(page, 'hut-02').getByRole('button', { name: 'power cycle' }).click();
  await page.waitForFunction(
    () => /power-cycle/.test(document.querySelector('#actions')?.textContent ?? ''),
    undefined,
    { timeout: 20_000 },
  );
  assert.notEqual(entity.last_changed, before, 'the simulated relay switched');
  assert.equal(entity.state, 'on');
  const logged = (await page.locator('#actions').textContent()) ?? '';
  assert.match(logged, /dashboard via 127\.0\.0\.1/);
  assert.match(logged, /relay test from the dashboard/);
  await page.screenshot({ path: join(shots, 'dashboard-actions.png'), fullPage: true });
  assert.deepEqual((page as Page & { errors: string[] }).errors, []);
  await page.close();
});

test('a wrong token is refused at sign-in and the page stays read-only', async () => {
  const page = await open();
  page.on('dialog', (dialog) => void dialog.accept('not-the-token-at-all-0000'));
  await page.getByRole('button', { name: 'sign in' }).click();
  await page.waitForFunction(() =>
    /sign-in refused/.test(document.querySelector('#message')?.textContent ?? ''),
  );
  await page.getByRole('button', { name: 'sign in' }).waitFor();
  await page.close();
});
