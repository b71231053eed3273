/** `hutctl docs`: the history of the edits hutctl made to the team's documents. */
import type { Command } from 'commander';
import { addDocsHistory } from './history.ts';

export function register(program: Command): void {
  addDocsHistory(
    program
      .command('docs')
      .description('the documents as hutctl changed them: the history of its edits'),
  );
}
