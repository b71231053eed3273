/// <reference lib="dom" />
/**
 * The farm dashboard: one page, no framework. It reads `/api/overview` once, then listens to the
 * change stream (`/api/events`) and re-reads only what changed. Every value from the farm is put
 * on the page as text (never as markup): a job id or a board's output cannot become HTML.
 */
import { Terminal } from '@xterm/xterm';

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON, read field by field as it is shown
type Json = Record<string, any>;

const $ = (id: string) => document.getElementById(id)!;

/** An element with text or children; attributes by name. */
function el(tag: string, attrs: Json = {}, ...children: Array<Node | string | null>): HTMLElement {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== null) node.append(child);
  return node;
}

const ago = (iso: string | null | undefined) => {
  if (!iso) return '-';
  const sec = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (sec < 90) return `${sec} s ago`;
  if (sec < 5400) return `${Math.round(sec / 60)} min ago`;
  if (sec < 129600) return `${Math.round(sec / 3600)} h ago`;
  return `${Math.round(sec / 86400)} d ago`;
};
const age = (sec: number | null | undefined) =>
  sec == null
    ? '-'
    : sec < 90
      ? `${sec} s`
      : sec < 5400
        ? `${Math.round(sec / 60)} min`
        : `${(sec / 3600).toFixed(1)} h`;
const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 12) : '-');
const pct = (x: number | null | undefined) => (x == null ? '-' : `${Math.round(x * 100)} %`);

function table(head: string[], rows: Array<Array<Node | string>>, empty: string): HTMLElement {
  if (rows.length === 0) return el('p', { class: 'empty' }, empty);
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  );
}

function badge(text: string, kind = text): HTMLElement {
  return el('span', { class: `badge ${kind.replace(/[^a-z_]/g, '')}` }, text);
}

function replace(id: string, node: Node): void {
  $(id).replaceChildren(node);
}

// ---- access -------------------------------------------------------------------------------

let token = sessionStorage.getItem('hutctl-token');

// biome-ignore lint/suspicious/noExplicitAny: as Json above
async function api(path: string, init: RequestInit = {}): Promise<any> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(body.error ?? `${response.status}`);
  return body;
}

async function signIn(): Promise<void> {
  const given = prompt('The token (from the file hutctl serve was started with):');
  if (!given) return;
  try {
    await api('/api/session', { method: 'POST', body: JSON.stringify({ token: given.trim() }) });
    token = given.trim();
    sessionStorage.setItem('hutctl-token', token);
    showAccess(true);
    void refreshAll();
  } catch (error) {
    flash(`sign-in refused: ${(error as Error).message}`);
  }
}

function showAccess(signedIn: boolean): void {
  replace(
    'access',
    signedIn
      ? el('span', {}, 'signed in ', el('button', { onclick: () => signOut() }, 'sign out'))
      : el('button', { onclick: () => void signIn(), id: 'sign-in' }, 'sign in'),
  );
}

function signOut(): void {
  token = null;
  sessionStorage.removeItem('hutctl-token');
  void api('/api/session', { method: 'DELETE' });
  showAccess(false);
}

function flash(text: string): void {
  const box = $('message');
  box.textContent = text;
  box.hidden = false;
  setTimeout(() => (box.hidden = true), 8000);
}

/** A write action: asks for the reason, sends it with the token, says what happened. */
async function act(path: string, body: Json, what: string): Promise<void> {
  if (!token) return flash(`${what}: sign in first (changes need the token)`);
  const reason = prompt(`${what}: why? (it goes in the action log)`);
  if (!reason) return;
  const send = (force: boolean) =>
    fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...body, ...(force ? { force: true } : {}), reason, by: 'dashboard' }),
    });
  try {
    let response = await send(false);
    let result = await response.json();
    // Busy, or cycled a moment ago: said, and done only if the person confirms.
    if (
      response.status === 409 &&
      'force' in body &&
      confirm(`${what}: ${result.error}. Do it anyway?`)
    ) {
      response = await send(true);
      result = await response.json();
    }
    flash(`${what}: ${response.ok ? (result.action?.detail ?? 'done') : result.error}`);
  } catch (error) {
    flash(`${what}: ${(error as Error).message}`);
  }
}

// ---- sections -----------------------------------------------------------------------------

let slots: Json[] = [];

function renderSlots(): void {
  replace(
    'slots',
    table(
      ['Slot', 'State', 'Health', 'Holder', 'Lease age', 'Power', 'Labels', ''],
      slots.map((s) => [
        el('b', {}, s.slot),
        badge(s.state),
        s.health
          ? el(
              'span',
              { title: s.health.reason },
              badge(s.health.state),
              ` ${s.health.reason}${s.health.since ? ` (since ${ago(s.health.since)})` : ''}`,
            )
          : '-',
        s.holder
          ? el(
              'span',
              {},
              s.holder.job_id ?? `pid ${s.holder.pid}`,
              ` on ${s.holder.host}`,
              s.lease ? ` (leased to ${s.lease.holder})` : '',
            )
          : '-',
        age(s.holder?.lease_age_sec),
        s.power
          ? `${s.power.state ?? '?'}${s.power.last_cycle_status ? `, last cycle ${s.power.last_cycle_status} ${ago(s.power.last_cycle_end_utc)}` : ''}`
          : '-',
        (s.labels ?? []).join(', '),
        el(
          'span',
          { class: 'actions' },
          s.holder?.log
            ? el('button', { onclick: () => watchLog(s.slot, s.holder.log) }, 'serial')
            : null,
          s.lease
            ? el(
                'button',
                {
                  onclick: () =>
                    void act(
                      `/api/slots/${s.slot}/release`,
                      {},
                      `take ${s.slot} back from ${s.lease.holder}`,
                    ),
                },
                'take back',
              )
            : null,
          el(
            'button',
            {
              'data-act': `power-${s.slot}`,
              onclick: () =>
                void act(
                  `/api/slots/${s.slot}/power`,
                  { action: 'cycle', force: false },
                  `power cycle ${s.slot}`,
                ),
            },
            'power cycle',
          ),
          s.health?.state === 'maintenance'
            ? el(
                'button',
                {
                  onclick: () =>
                    void act(
                      `/api/slots/${s.slot}/maintenance`,
                      { on: false },
                      `end maintenance of ${s.slot}`,
                    ),
                },
                'end maintenance',
              )
            : el(
                'button',
                {
                  onclick: () =>
                    void act(
                      `/api/slots/${s.slot}/maintenance`,
                      { on: true },
                      `maintenance ${s.slot}`,
                    ),
                },
                'maintenance',
              ),
        ),
      ]),
      'no slots in hutctl.yaml',
    ),
  );
  renderHealth();
  // A slot taken by a job: follow its output unless someone is already watched.
  const busy = slots.find((s) => s.holder?.log);
  if (busy && !watched?.live) watchLog(busy.slot, busy.holder.log);
}

function renderHealth(): void {
  replace(
    'health',
    table(
      [
        'Slot',
        'Health',
        'Last check',
        'Jobs',
        'hil runs',
        'Flash fail',
        'Boot fail',
        'Recoveries',
        'Power cycles (failed)',
      ],
      slots.map((s) => {
        const h = s.health;
        const c = h?.counters ?? {};
        return [
          s.slot,
          h ? badge(h.state) : '-',
          h?.last_check ? `${h.last_check.status} ${ago(h.last_check.at)}` : '-',
          String(c.jobs ?? '-'),
          String(c.hil_runs ?? '-'),
          pct(c.flash_failure_rate),
          pct(c.boot_failure_rate),
          String(c.recovery_events ?? '-'),
          `${c.power_cycles ?? '-'} (${c.power_failures ?? '-'})`,
        ];
      }),
      'health needs the ledger (store: off)',
    ),
  );
}

function renderHosts(hosts: Json[]): void {
  replace(
    'hosts',
    table(
      ['Target', 'Host', 'Answers', 'Checked'],
      hosts.map((h) => [
        h.name,
        `${h.user ? `${h.user}@` : ''}${h.host ?? '-'}`,
        h.reachable === null
          ? 'not yet checked'
          : h.reachable
            ? badge(`yes${h.ms ? ` (${h.ms} ms)` : ''}`, 'good')
            : badge(`no: ${h.error}`, 'bad'),
        ago(h.checked_utc),
      ]),
      'no targets',
    ),
  );
}

function renderQueue(queue: Json[], running: Json[]): void {
  replace(
    'queue',
    el(
      'div',
      {},
      table(
        ['Running', 'Host', 'For'],
        running.map((r) => [r.job_id, r.host, age(r.age_sec)]),
        'nothing running',
      ),
      table(
        ['Waiting', 'Wants', 'Why it is not running', 'Waited'],
        queue.map((q) => [
          q.job_id ?? `pid ${q.pid}`,
          q.wants.join(' or '),
          q.why,
          age(q.waited_sec),
        ]),
        'nothing waiting',
      ),
    ),
  );
}

function renderJobs(jobs: Json[]): void {
  replace(
    'jobs',
    table(
      ['Started', 'Job', 'Status', 'Slot', 'SHA', 'Time', 'Summary'],
      jobs.map((j) => [
        ago(j.start_utc),
        el(
          'a',
          {
            href: '#',
            onclick: (e: Event) => {
              e.preventDefault();
              void showTimeline(j.report_path);
            },
          },
          j.job_id,
        ),
        badge(j.status),
        j.slot ?? '-',
        short(j.sha),
        `${Number(j.duration_sec).toFixed(1)} s`,
        j.summary,
      ]),
      'no jobs in the ledger yet',
    ),
  );
}

const baseOf = (path: string) =>
  path
    .split('/')
    .pop()!
    .replace(/\.(json|log)$/, '');

async function showTimeline(evidencePath: string): Promise<void> {
  const base = baseOf(evidencePath);
  try {
    const t = await api(`/api/timeline/${encodeURIComponent(base)}`);
    const total = t.phases.reduce((sum: number, p: Json) => sum + p.ms, 0) || 1;
    replace(
      'timeline',
      el(
        'div',
        {},
        el(
          'p',
          {},
          `${base}: ${t.status}, started ${t.start_utc} `,
          el('a', { href: `/files/${base}.log`, target: '_blank' }, 'log'),
          ' ',
          el('a', { href: `/files/${base}.json`, target: '_blank' }, 'report'),
        ),
        el(
          'div',
          { class: 'bar' },
          ...t.phases.map((p: Json, i: number) =>
            el(
              'span',
              {
                class: `phase p${i % 6}`,
                style: `flex: ${Math.max(p.ms / total, 0.02)}`,
                title: `${p.phase}: ${p.ms} ms${p.status ? ` (${p.status})` : ''}`,
              },
              `${p.phase} ${(p.ms / 1000).toFixed(2)} s`,
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    replace('timeline', el('p', {}, `no timeline: ${(error as Error).message}`));
  }
}

function renderMatrix(matrix: Json): void {
  const tests = [
    ...new Set(matrix.rows.map((r: Json) => `${r.slot} ${r.test_id}`)),
  ].sort() as string[];
  replace(
    'matrix',
    table(
      ['SHA', ...tests],
      matrix.shas.map((sha: string) => [
        short(sha),
        ...tests.map((key) => {
          const r = matrix.rows.find(
            (x: Json) => x.sha === sha && `${x.slot} ${x.test_id}` === key,
          );
          if (!r) return '';
          const base = baseOf(r.evidence_path);
          return el(
            'span',
            {},
            el(
              'a',
              { href: `/files/${base}.log`, target: '_blank', title: r.reason },
              badge(r.status),
            ),
            ' ',
            el(
              'a',
              {
                href: '#',
                onclick: (e: Event) => {
                  e.preventDefault();
                  void showTimeline(r.evidence_path);
                },
              },
              'phases',
            ),
          );
        }),
      ]),
      'no hardware results yet',
    ),
  );
}

function renderActions(actions: Json[]): void {
  replace(
    'actions',
    table(
      ['When', 'Who', 'Did', 'On', 'Why', 'Outcome'],
      actions.map((a) => [
        ago(a.at_utc),
        `${a.by} (${a.via})`,
        a.action,
        a.slot ?? a.job_id ?? '-',
        a.reason,
        el('span', {}, badge(a.outcome), ` ${a.detail ?? ''}`),
      ]),
      'no actions yet',
    ),
  );
}

function renderThreads(threads: Json[]): void {
  const leases = slots.filter((s) => s.lease);
  replace(
    'agents',
    el(
      'div',
      {},
      table(
        ['Leased slot', 'To', 'Expires'],
        leases.map((s) => [s.slot, s.lease.holder, s.lease.expires_utc]),
        'no slot is leased to an agent',
      ),
      table(
        ['Thread', 'Role', 'Goal', 'Status', 'Last message', 'Updated', 'Tokens'],
        threads.map((t) => [
          t.thread_ref,
          t.role,
          t.goal ?? '-',
          badge(t.status),
          (t.last_message ?? '').slice(0, 160),
          ago(t.updated_utc),
          t.tokens ? `${t.tokens.input ?? '?'} in, ${t.tokens.output ?? '?'} out` : '-',
        ]),
        'no Codex threads yet',
      ),
    ),
  );
}

// ---- live serial ----------------------------------------------------------------------------

let terminal: Terminal | null = null;
let watched: {
  slot: string;
  base: string;
  offset: number;
  live: boolean;
  reading: boolean;
} | null = null;

function watchLog(slot: string, base: string): void {
  if (watched?.base === base) return;
  if (!terminal) {
    // As wide as its box: a boot log's long lines wrap where the page does, not at 80 columns.
    const cols = Math.max(80, Math.floor(($('serial').clientWidth - 16) / 7.3));
    terminal = new Terminal({
      convertEol: true,
      disableStdin: true,
      cols,
      rows: 18,
      scrollback: 5000,
      fontSize: 12,
    });
    terminal.open($('serial'));
  }
  terminal.reset();
  watched = { slot, base, offset: 0, live: true, reading: false };
  $('serial-title').textContent = `Serial and output: ${slot} (${base})`;
  void readMore();
}

async function readMore(): Promise<void> {
  const w = watched;
  if (!w || w.reading) return;
  w.reading = true;
  try {
    for (;;) {
      const chunk = await api(`/api/logs/${encodeURIComponent(w.base)}?offset=${w.offset}`);
      if (watched !== w) return;
      if (chunk.text) terminal!.write(chunk.text);
      w.offset = chunk.next_offset;
      w.live = chunk.live;
      $('serial').dataset.offset = String(w.offset);
      if (chunk.next_offset >= chunk.size) break;
    }
  } catch (error) {
    terminal?.write(`\r\n[hutctl: ${(error as Error).message}]\r\n`);
  } finally {
    w.reading = false;
  }
}

// ---- loading and live updates ----------------------------------------------------------------

async function refreshAll(): Promise<void> {
  const o = await api('/api/overview');
  $('farm').textContent =
    `${o.farm.host} · ledger ${o.farm.store}${o.farm.token ? '' : ' · read-only (no token)'}`;
  slots = o.slots;
  renderSlots();
  renderHosts(o.hosts);
  renderQueue(o.queue, o.running);
  renderJobs(o.jobs);
  renderMatrix(o.matrix);
  renderActions(o.actions);
  renderThreads(o.threads);
  document.body.dataset.loaded = String(Date.now());
}

const refreshers: Record<string, () => Promise<void>> = {
  slots: async () => {
    slots = await api('/api/slots');
    renderSlots();
    renderThreads(await api('/api/threads'));
  },
  health: async () => {
    slots = await api('/api/slots');
    renderSlots();
  },
  jobs: async () => {
    const j = await api('/api/jobs');
    renderJobs(j.jobs);
    renderQueue(await api('/api/queue'), j.running);
  },
  queue: async () => renderQueue(await api('/api/queue'), (await api('/api/jobs?limit=1')).running),
  hil: async () => renderMatrix(await api('/api/matrix')),
  power: async () => {
    slots = await api('/api/slots');
    renderSlots();
  },
  actions: async () => renderActions(await api('/api/actions')),
  threads: async () => renderThreads(await api('/api/threads')),
  leases: async () => renderThreads(await api('/api/threads')),
  // Something was recorded (by this host or another): the ledger's views.
  ledger: async () => {
    const [j, m, a, s] = await Promise.all([
      api('/api/jobs'),
      api('/api/matrix'),
      api('/api/actions'),
      api('/api/slots'),
    ]);
    renderJobs(j.jobs);
    renderMatrix(m);
    renderActions(a);
    slots = s;
    renderSlots();
  },
};

const due = new Set<string>();
let scheduled = false;

/** What the ledger shows is re-read at most once a second: a busy farm records many times a second. */
const SLOW = new Set(['ledger', 'jobs', 'hil', 'actions', 'threads']);
let slowNext = 0;

function changed(kind: string): void {
  if (SLOW.has(kind) && Date.now() < slowNext) {
    setTimeout(() => changed(kind), slowNext - Date.now());
    return;
  }
  if (SLOW.has(kind)) slowNext = Date.now() + 1000;
  due.add(kind);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(async () => {
    scheduled = false;
    const kinds = [...due];
    due.clear();
    for (const k of kinds)
      await refreshers[k]?.().catch((e) => flash(`could not refresh ${k}: ${e.message}`));
    document.body.dataset.updated = String(Date.now());
  });
}

function listen(): void {
  const events = new EventSource('/api/events');
  events.addEventListener('change', (event) => {
    const change = JSON.parse((event as MessageEvent).data);
    if (change.kind === 'log') {
      if (watched && change.base === watched.base) void readMore();
      return;
    }
    changed(change.kind);
  });
  events.onopen = () => ($('live').textContent = 'live');
  events.onerror = () => ($('live').textContent = 'reconnecting…');
}

async function start(): Promise<void> {
  const session = await api('/api/session').catch(() => ({ signed_in: false }));
  if (token && !session.signed_in) {
    // The server's token changed since: sign in again.
    token = null;
    sessionStorage.removeItem('hutctl-token');
  }
  showAccess(Boolean(token));
  try {
    await refreshAll();
  } catch (error) {
    flash(
      `${(error as Error).message}${/token/.test((error as Error).message) ? ': sign in' : ''}`,
    );
  }
  listen();
  setInterval(() => {
    // Ages ("3 min ago") move on by themselves.
    renderSlots();
  }, 30_000);
}

void start();
