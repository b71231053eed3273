/** `hutctl contract validate|schema`: check WS2 documents, print their JSON Schemas. */
import type { Command } from 'commander';
import {
  CONTRACTS,
  type ContractName,
  checkContract,
  jsonSchemaOf,
  parseJsonText,
} from '../../contract/index.ts';
import { HutError } from '../../errors/index.ts';
import { printJson, printLine } from '../output.ts';
import { readInput } from '../read-input.ts';

export function register(program: Command): void {
  const contract = program
    .command('contract')
    .description('the WS2 job contract (ws2.invocation.v1, ws2.report.v1)');
  contract
    .command('validate')
    .description('check an invocation or report; every problem is printed at its JSON path')
    .argument('[file]', 'the JSON document, or - for standard input', '-')
    .option(
      '--as <contract>',
      'check against this contract instead of the one schema_version names',
    )
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { as?: string; json?: boolean }) => {
      if (options.as !== undefined && !(options.as in CONTRACTS)) {
        throw new HutError(
          'USAGE',
          `--as ${options.as}: expected one of ${Object.keys(CONTRACTS).join(', ')}`,
        );
      }
      const { text, source } = await readInput(file);
      const result = checkContract(
        parseJsonText(text, source),
        options.as as ContractName | undefined,
      );
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
  contract
    .command('schema')
    .description('print the JSON Schema of a contract (also in schemas/)')
    .argument('<contract>', Object.keys(CONTRACTS).join(' | '))
    .action((name: string) => {
      if (!(name in CONTRACTS)) {
        throw new HutError(
          'USAGE',
          `unknown contract ${name}: expected one of ${Object.keys(CONTRACTS).join(', ')}`,
        );
      }
      printJson(jsonSchemaOf(name as ContractName));
    });
}
