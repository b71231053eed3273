/** Regenerates schemas/*.schema.json from the zod contracts (npm run schemas). */
import { join } from 'node:path';
import { writeFileAtomic } from '../files/index.ts';
import { CONTRACTS, type ContractName, jsonSchemaOf } from './schemas.ts';

export function schemaFileText(name: ContractName): string {
  return `${JSON.stringify(jsonSchemaOf(name), null, 2)}\n`;
}

export function schemaFileName(name: ContractName): string {
  return `${name}.schema.json`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = join(process.cwd(), 'schemas');
  for (const name of Object.keys(CONTRACTS) as ContractName[]) {
    await writeFileAtomic(join(dir, schemaFileName(name)), schemaFileText(name));
    console.log(`wrote schemas/${schemaFileName(name)}`);
  }
}
