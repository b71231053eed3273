/**
 * `hutctl transport` and `hutctl lint docs`: the transport lock record, and the documents' lint
 * with its ratchet baseline.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';
import { openDocs } from './docs-repo.ts';

export function register(program: Command): void {
  const transport = program
    .command('transport')
    .description('the remote transport lock record (remote_transport_lock.md)');
  withExamples(
    transport
      .command('status')
      .description('evaluating or locked, primary and fallback transport')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl transport status', 'evaluating or locked, and on what'],
      ['hutctl transport status --json', 'the record as JSON'],
    ],
  ).action(async (o: { docs?: string; json?: boolean }) => {
    const { lib, read } = await openDocs(o.docs);
    const lock = lib.parseTransportLock(read(lib.TRANSPORT_LOCK), lib.TRANSPORT_LOCK);
    if (o.json) return printJson(lock);
    printLine(
      `${lock.status}: primary ${lock.primary_transport}, fallback ${lock.fallback_transport}${lock.locked_at_utc ? `, locked at ${lock.locked_at_utc}` : ''}`,
    );
  });
  withExamples(
    transport
      .command('lock')
      .description('lock the mechanism: no re-litigating transport per session afterwards')
      .argument('<primary>', 'codex_app_server | codex_mcp_server | ssh')
      .option('--fallback <transport>', 'the break-glass path', 'ssh')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the lock record as JSON'),
    [
      ['hutctl transport lock codex_app_server', 'the App Server, with ssh as the fallback'],
      ['hutctl transport lock ssh --fallback codex_app_server', 'codex exec over SSH first'],
    ],
  ).action(async (primary: string, o: { fallback: string; docs?: string; json?: boolean }) => {
    const { lib, root, read } = await openDocs(o.docs);
    await lib.editDocument(
      join(root, lib.TRANSPORT_LOCK),
      (text) => lib.lockTransport(text, lib.TRANSPORT_LOCK, primary, o.fallback),
      {
        note: {
          repository: root,
          edit: 'transport-lock',
          summary: `locked: primary ${primary}, fallback ${o.fallback}`,
          command: 'transport lock',
        },
      },
    );
    const lock = lib.parseTransportLock(read(lib.TRANSPORT_LOCK), lib.TRANSPORT_LOCK);
    if (o.json) return printJson(lock);
    printLine(
      `locked: primary ${lock.primary_transport}, fallback ${lock.fallback_transport} at ${lock.locked_at_utc}`,
    );
  });

  withExamples(
    program
      .command('lint')
      .description('lint documents')
      .command('docs')
      .description(
        "markdownlint's rules plus hutctl's semantic rules, with a ratchet baseline (CI fails only when findings increase)",
      )
      .argument(
        '[files...]',
        'only these files (relative to the repository); default: documentation/short-term and documentation/agents',
      )
      .option(
        '--baseline <file>',
        'the ratchet baseline (default: <repo>/.hutctl-lint-baseline.json)',
      )
      .option('--update-baseline', 'accept the current findings as the baseline')
      .option('--strict', 'fail on any error or warning, whatever the baseline')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print findings and the GOAL-003 report fields as JSON')
      .addHelpText(
        'after',
        '\nExit: 0 when no rule has more findings than the baseline (or none at all with --strict), 1 otherwise.\nInfo findings (legacy handoff entries: accepted history) never count.',
      ),
    [
      ['hutctl lint docs', 'fail only when a rule has more findings than the baseline'],
      ['hutctl lint docs --update-baseline', "accept today's findings as the baseline"],
      ['hutctl lint docs --strict', 'fail on any error or warning, whatever the baseline'],
    ],
  ).action(
    async (
      files: string[],
      o: {
        baseline?: string;
        updateBaseline?: boolean;
        strict?: boolean;
        docs?: string;
        json?: boolean;
      },
    ) => {
      const { root, lib: docsLib } = await openDocs(o.docs);
      // markdownlint is loaded only for this command.
      const lib = await import('../../docs/lint.ts');
      const findings = lib.lintDocs(root, files.length ? files : undefined);
      const counts = lib.countByRule(findings);
      const baselinePath = o.baseline ?? join(root, '.hutctl-lint-baseline.json');
      // One about to be replaced need not be a baseline (it may be the broken one being fixed).
      const baseline = lib.readBaseline(baselinePath, { parse: !o.updateBaseline });
      if (o.updateBaseline) {
        const text = `${JSON.stringify({ counts }, null, 2)}\n`;
        await docsLib.editDocument(baselinePath, () => text, {
          create: true,
          note: {
            repository: root,
            edit: 'lint-baseline',
            summary: `${Object.values(counts).reduce((a, b) => a + b, 0)} finding(s) accepted as the baseline`,
            command: 'lint docs --update-baseline',
          },
        });
      }
      const increased = o.strict
        ? Object.entries(counts).map(([r, n]) => `${r}: ${n}`)
        : lib.ratchet(counts, o.updateBaseline ? counts : baseline);
      const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
      const report = {
        scope: files.length ? files : ['documentation/short-term', 'documentation/agents'],
        command: `hutctl lint docs${o.strict ? ' --strict' : ''}`,
        before_errors: total(baseline),
        after_errors: total(counts),
        residual_risk: Object.keys(counts).length
          ? `open findings by rule: ${Object.entries(counts)
              .map(([r, n]) => `${r} ${n}`)
              .join(', ')}`
          : 'none',
      };
      if (o.json)
        printJson({
          passed: increased.length === 0,
          report,
          counts,
          baseline,
          increased,
          findings,
        });
      else {
        for (const f of findings)
          if (f.severity !== 'info')
            printLine(`${f.file}:${f.line}: ${f.severity} ${f.rule}: ${f.message}`);
        const info = findings.filter((f) => f.severity === 'info').length;
        printLine(
          `${report.after_errors} finding(s) (baseline ${report.before_errors})${info ? `, ${info} legacy entr${info === 1 ? 'y' : 'ies'} accepted as history` : ''}`,
        );
        if (increased.length) printLine(`increased: ${increased.join('; ')}`);
        if (o.updateBaseline) printLine(`baseline written: ${baselinePath}`);
      }
      process.exitCode = increased.length === 0 ? 0 : 1;
    },
  );
}
