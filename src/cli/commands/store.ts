/** `hutctl store …`: the ledger itself — where it is, what it holds, and back-filling it from evidence. */
import type { Command } from 'commander';
import { withExamples } from '../help.ts';
import { withLedger } from '../history.ts';
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
      .option('--json', 'print the counts as JSON'),
    [
      ['hutctl store import evidence/', 'back-fill the ledger from this checkout’s evidence'],
      ['hutctl store import /srv/hutctl/evidence --json', 'rebuild a new ledger, counts as JSON'],
    ],
  ).action((dir: string, options: { json?: boolean }, command: Command) =>
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
        for (const s of summary.skipped) printLine(`skipped ${s.file}: ${s.why}`);
      },
      async () => {
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
}
