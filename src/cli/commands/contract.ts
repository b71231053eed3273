/** `hutctl contract validate|schema`: check WS2 documents, print their JSON Schemas. */
import type { Command } from 'commander';
import type { ContractName } from '../../contract/index.ts';
import { HutError } from '../../errors/index.ts';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';
import { readInput } from '../read-input.ts';

const NAMES: readonly ContractName[] = ['ws2.invocation.v1', 'ws2.report.v1'];

function contractName(name: string, what: string): ContractName {
  if (!(NAMES as readonly string[]).includes(name)) {
    throw new HutError('USAGE', `${what} ${name}: expected one of ${NAMES.join(', ')}`);
  }
  return name as ContractName;
}

export function register(program: Command): void {
  const contract = program
    .command('contract')
    .description('the WS2 job contract (ws2.invocation.v1, ws2.report.v1)');
  withExamples(
    contract
      .command('validate')
      .description('check an invocation or report; every problem is printed at its JSON path')
      .argument('[file]', 'the JSON document, or - for standard input', '-')
      .option(
        '--as <contract>',
        'check against this contract instead of the one schema_version names',
      )
      .option('--json', 'print the result as JSON'),
    [
      [
        'hutctl contract validate job.json',
        'every problem of an invocation or report, at its JSON path',
      ],
      [
        'hutctl contract validate --as ws2.report.v1 report.json',
        'check it against the report contract',
      ],
    ],
  ).action(async (file: string, options: { as?: string; json?: boolean }) => {
    const expected = options.as === undefined ? undefined : contractName(options.as, '--as');
    const { checkContract, parseJsonText } = await import('../../contract/index.ts');
    const { text, source } = await readInput(file);
    const result = checkContract(parseJsonText(text, source), expected);
    if (options.json) printJson({ file: source, ...result });
    else if (result.valid) printLine(`${source}: valid ${result.contract}`);
    else {
      for (const issue of result.issues) printLine(`${source}: ${issue.path}: ${issue.message}`);
      printLine(
        `${result.issues.length} problem(s)${result.contract ? ` against ${result.contract}` : ''}`,
      );
    }
    process.exitCode = result.valid ? 0 : 1;
  });
  withExamples(
    contract
      .command('schema')
      .description('print the JSON Schema of a contract (also in schemas/)')
      .argument('<contract>', NAMES.join(' | ')),
    [
      ['hutctl contract schema ws2.report.v1', "the report's JSON Schema"],
      [
        'hutctl contract schema ws2.invocation.v1 > invocation.schema.json',
        'save the invocation schema for an editor',
      ],
    ],
  ).action(async (name: string) => {
    // The very file in schemas/, $id and title included.
    const { schemaFileText } = await import('../../contract/write-schemas.ts');
    process.stdout.write(schemaFileText(contractName(name, 'contract')));
  });
}
