/**
 * The JSON Schemas in schemas/, made from the zod schemas hutctl validates with: the two WS2
 * contracts, hutctl.yaml, the hil result and the artifact manifest. Each has a URI `$id` and a
 * title, so editors and validators can be pointed at it (`npm run generate` writes them).
 */
import * as z from 'zod/mini';
import { configFileSchema } from '../config/schema.ts';
import { manifestSchema } from '../hil/manifest.ts';
import { hilResultSchema } from '../hil/result-schema.ts';
import { SCHEMA_BASE } from './schema-urls.ts';
import { CONTRACTS, type ContractName, jsonSchemaOf } from './schemas.ts';

export { SCHEMA_BASE };

const OTHERS = {
  'hutctl.config.v1': { schema: configFileSchema, title: 'hutctl.yaml, the hutctl configuration' },
  'hutctl.hil-result.v1': {
    schema: hilResultSchema,
    title: 'the result of one hardware test on one slot (hil run --json, hil_*.json evidence)',
  },
  'hutctl.artifact.v1': {
    schema: manifestSchema,
    title: 'the manifest of a stored firmware artifact (<store>/<sha>/<profile>/manifest.json)',
  },
} as const;

export type SchemaName = ContractName | keyof typeof OTHERS;

export function schemaFileName(name: SchemaName): string {
  return `${name}.schema.json`;
}

/** The schema's file text, `$id` and title first. */
export function schemaFileText(name: SchemaName): string {
  const body = Object.hasOwn(OTHERS, name)
    ? (z.toJSONSchema(OTHERS[name as keyof typeof OTHERS].schema, {
        target: 'draft-2020-12',
        io: 'input',
      }) as Record<string, unknown>)
    : jsonSchemaOf(name as ContractName);
  const title = Object.hasOwn(OTHERS, name)
    ? OTHERS[name as keyof typeof OTHERS].title
    : `${name}, the WS2 ${name.includes('invocation') ? 'job invocation' : 'job report'}`;
  const { $schema, $id: _internal, ...rest } = body;
  const text = JSON.stringify(
    { $schema, $id: `${SCHEMA_BASE}${schemaFileName(name)}`, title, ...rest },
    null,
    2,
  );
  return `${text}\n`;
}

/** Every schema's name. */
export function schemaNames(): SchemaName[] {
  return [...(Object.keys(CONTRACTS) as ContractName[]), ...(Object.keys(OTHERS) as SchemaName[])];
}
