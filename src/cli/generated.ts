/** Every file made from the sources, by path relative to the repository: what `npm run generate` writes. */
import { readFileSync } from 'node:fs';
import { schemaFileName, schemaFileText, schemaNames } from '../contract/write-schemas.ts';
import { COMPLETION_FILES, COMPLETION_SCRIPTS } from './commands/completion.ts';
import { buildProgram } from './main.ts';
import { manPage } from './man.ts';

export async function generatedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of schemaNames()) {
    files.set(`schemas/${schemaFileName(name)}`, schemaFileText(name));
  }
  for (const [shell, file] of Object.entries(COMPLETION_FILES)) {
    files.set(`completions/${file}`, COMPLETION_SCRIPTS[shell as keyof typeof COMPLETION_SCRIPTS]);
  }
  const { version } = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  files.set('man/hutctl.1', manPage(await buildProgram(), version));
  return files;
}
