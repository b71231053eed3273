/** `hutctl store …`: the ledger itself — where it is, what it holds, back-filling it from evidence, and retention (gc). */
import type { Command } from 'commander';
import { withExamples } from '../help.ts';
import { printable, withLedger } from '../history.ts';
import { note, printJson, printLine } from '../output.ts';

export function register(program: Command): void {
  const store = program
    .command('store')
    .description(
      'the ledger of jobs, delegations, hardware results, power events and document edits (SQLite or PostgreSQL)',
    );

  withExamples(
    store
      .command('import')
      .description('record every evidence file of a directory in the ledger (idempotent)')
      .argument(
        '<evidence-dir>',
        'a directory of hutctl evidence (reports, hil results, power events, health decisions, document edits)',
      )
      .option(
        '--rebuild',
        'SQLite: move the ledger (with its -wal and -shm files) aside as <path>.damaged-<time> first, and make a new one from the evidence',
      )
      .option('--json', 'print the counts as JSON'),
    [
      ['hutctl store import evidence/', 'back-fill the ledger from this checkout’s evidence'],
      ['hutctl store import /srv/hutctl/evidence --json', 'rebuild a new ledger, counts as JSON'],
      [
        'hutctl store import /srv/hutctl/evidence --rebuild',
        'a damaged SQLite ledger: kept aside, and a new one made from the evidence',
      ],
    ],
  ).action((dir: string, options: { json?: boolean; rebuild?: boolean }, command: Command) =>
    withLedger(
      command,
      async (db) => {
        const { importEvidence } = await import('../../store/import.ts');
        const summary = await importEvidence(db, dir, (done, total) =>
          note(`hutctl: ${done}/${total} files`),
        );
        if (options.json) {
          printJson(summary);
          return;
        }
        const r = summary.recorded;
        printLine(
          `recorded ${r.job} job(s), ${r.delegation} delegation(s), ${r.hil} hil result(s), ${r.power} power event(s), ${r.health} health decision(s), ${r.doc_edit} document edit(s) from ${dir}`,
        );
        // A file's name is anyone's to choose: one line, whatever bytes it holds.
        for (const s of summary.skipped) printLine(printable(`skipped ${s.file}: ${s.why}`));
      },
      async (config) => {
        const [{ HutError }, { statSync }] = await Promise.all([
          import('../../errors/index.ts'),
          import('node:fs'),
        ]);
        let problem: string | null = null;
        try {
          if (!statSync(dir).isDirectory()) problem = 'not a directory';
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          problem = code === 'ENOENT' ? 'no such directory' : (code ?? String(error));
        }
        if (problem) throw new HutError('USAGE', `${dir}: ${problem}`);
        if (options.rebuild) {
          const { moveLedgerAside } = await import('../../store/ledger.ts');
          const aside = await moveLedgerAside(config);
          note(`hutctl: the ledger was moved aside to ${aside}; making a new one from ${dir}`);
        }
      },
    ),
  );

  withExamples(
    store
      .command('status')
      .description('which ledger this config uses, its schema version, and how much it holds')
      .option('--json', 'print as JSON'),
    [['hutctl store status', 'engine, location, schema version and row counts']],
  ).action((options: { json?: boolean }, command: Command) =>
    withLedger(command, async (db, config) => {
      const count = async (table: string) =>
        Number((await db.all(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n ?? 0);
      const version = Number(
        (await db.all('SELECT MAX(version) AS v FROM hutctl_schema'))[0]?.v ?? 0,
      );
      const s = config.store;
      const where =
        s.engine === 'sqlite'
          ? s.path
          : s.engine === 'postgres'
            ? s.urlEnv
              ? `$${s.urlEnv}`
              : 'store.url'
            : 'off';
      const status = {
        engine: db.engine,
        location: where,
        schema_version: version,
        jobs: await count('jobs'),
        hil_results: await count('hil_results'),
        power_events: await count('power_events'),
        recoveries: await count('recoveries'),
        health_events: await count('health_events'),
        delegations: await count('delegations'),
        doc_edits: await count('doc_edits'),
      };
      if (options.json) return printJson(status);
      printLine(`ledger: ${status.engine} ${status.location} (schema ${status.schema_version})`);
      printLine(
        `${status.jobs} job(s), ${status.hil_results} hil result(s), ${status.power_events} power event(s), ${status.recoveries} recovery event(s), ${status.health_events} health decision(s), ${status.delegations} delegation(s), ${status.doc_edits} document edit(s)`,
      );
    }),
  );

  withExamples(
    store
      .command('gc')
      .description(
        'remove evidence, unreferenced artifacts and firmware copies older than the keep period, and their ledger rows',
      )
      .option(
        '--keep <period>',
        'keep what is newer: 30d, 12h, 2w (default: store.keep in hutctl.yaml)',
      )
      .option('--dry-run', 'list what would be removed, and what stays and why; change nothing')
      .option('--json', 'print what was removed and kept as JSON'),
    [
      ['hutctl store gc --keep 30d --dry-run', 'what a month’s retention would remove'],
      ['hutctl store gc', 'remove what is older than store.keep'],
    ],
  ).action(
    async (options: { keep?: string; dryRun?: boolean; json?: boolean }, command: Command) => {
      const [{ loadFor }, { HutError }, { keepPeriod, storeGc }] = await Promise.all([
        import('../context.ts'),
        import('../../errors/index.ts'),
        import('../../retention/index.ts'),
      ]);
      const config = await loadFor(command.optsWithGlobals());
      const keep = options.keep ?? config.store.keep;
      if (keep === null)
        throw new HutError(
          'USAGE',
          'say how long to keep: --keep 30d, or store.keep in hutctl.yaml',
        );
      // Bad input changes nothing: checked before the ledger is opened (opening may create it).
      keepPeriod(keep, options.keep === undefined ? 'store.keep' : '--keep');
      const db = await openForGc(config);
      let summary: import('../../retention/index.ts').GcSummary;
      try {
        summary = await storeGc({ config, db, keep, dryRun: options.dryRun === true });
      } finally {
        await db?.close();
      }
      if (summary.failed.length > 0) process.exitCode = 1;
      if (options.json) return printJson(summary);
      const { formatBytes } = await import('../../format/index.ts');
      if (summary.dry_run)
        for (const r of summary.removed)
          printLine(
            printable(
              `would remove ${r.path} (${count(r.files, 'file')}, ${formatBytes(r.bytes)})`,
            ),
          );
      for (const k of summary.kept) printLine(printable(`kept ${k.path}: ${k.why}`));
      for (const f of summary.failed) printLine(printable(`could not remove ${f.path}: ${f.why}`));
      printLine(freedLine(summary, formatBytes));
    },
  );
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `freed 1.2 MiB older than 30d (before …): 3 evidence runs (6 files, 12.0 KiB), …; 3 ledger rows deleted` */
function freedLine(
  summary: import('../../retention/index.ts').GcSummary,
  bytes: (n: number) => string,
): string {
  const { evidence, artifact, firmware } = summary.freed;
  const kind = (what: string, n: typeof evidence) =>
    `${what} (${count(n.files, 'file')}, ${bytes(n.bytes)})`;
  const kinds = [
    kind(count(evidence.items, 'evidence run'), evidence),
    kind(count(artifact.items, 'artifact'), artifact),
    kind(count(firmware.items, 'firmware copy', 'firmware copies'), firmware),
  ];
  const rows =
    summary.ledger === 'off'
      ? 'no ledger'
      : `${count(summary.ledger_rows, 'ledger row')}${summary.dry_run ? '' : ' deleted'}`;
  const before = summary.cutoff_utc.replace('T', ' ').replace(/\.\d+Z$/, '');
  const total = bytes(evidence.bytes + artifact.bytes + firmware.bytes);
  return `${summary.dry_run ? 'would free' : 'freed'} ${total} older than ${summary.keep} (before ${before} UTC): ${kinds.join(', ')}; ${rows}`;
}

/**
 * The ledger gc deletes rows from: none when it is off, or when its SQLite file does not exist
 * yet (then it holds nothing, and a dry run must not create it); one that cannot be opened is an
 * error, since removing evidence without its rows would leave the ledger naming missing files.
 */
async function openForGc(
  config: import('../../config/index.ts').HutConfig,
): Promise<import('../../store/db.ts').Db | null> {
  if (config.store.engine === 'off') return null;
  if (config.store.engine === 'sqlite') {
    const { existsSync } = await import('node:fs');
    if (!existsSync(config.store.path)) return null;
  }
  const { openStore } = await import('../../store/ledger.ts');
  return openStore(config);
}
