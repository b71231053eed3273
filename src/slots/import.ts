/**
 * `slot import hut_slots.json`: the runner's existing slot map (`{"hut-01": {"serial_by_id": …}}`)
 * merged into hutctl.yaml, keeping the file's comments and layout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isMap, parseDocument } from 'yaml';
import * as z from 'zod/mini';
import '../contract/zod.ts';
import { issuesOf } from '../contract/validate.ts';
import { HutError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';

const slotMapSchema = z.record(
  z
    .string()
    .check(z.regex(/^[a-z][a-z0-9-]{0,31}$/, { error: 'a slot id is lower-case, such as hut-01' })),
  z.looseObject({
    serial_by_id: z.string().check(z.minLength(1)),
    profile: z.optional(z.string()),
    platform: z.optional(z.string()),
    labels: z.optional(z.array(z.string())),
  }),
);

export interface ImportResult {
  config: string;
  added: string[];
  updated: string[];
  unchanged: string[];
}

export async function importSlotMap(
  mapText: string,
  source: string,
  configPath: string,
  dryRun = false,
): Promise<ImportResult> {
  let value: unknown;
  try {
    value = JSON.parse(mapText);
  } catch (error) {
    throw new HutError('INPUT', `${source}: malformed JSON: ${(error as Error).message}`);
  }
  const parsed = slotMapSchema.safeParse(value);
  if (!parsed.success) {
    const first = issuesOf(parsed.error)[0]!;
    throw new HutError('INPUT', `${source}: ${first.path}: ${first.message}`, {
      hint: 'expected {"hut-01": {"serial_by_id": "/dev/serial/by-id/..."}, ...}',
    });
  }
  const doc = parseDocument(existsSync(configPath) ? readFileSync(configPath, 'utf8') : '');
  if (doc.errors.length > 0)
    throw new HutError('CONFIG', `${configPath}: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
  const result: ImportResult = { config: configPath, added: [], updated: [], unchanged: [] };
  for (const [id, entry] of Object.entries(parsed.data)) {
    const existing = doc.getIn(['slots', id, 'serial']);
    if (existing === undefined) {
      const slot: Record<string, unknown> = { serial: entry.serial_by_id };
      const profile = entry.profile ?? entry.platform;
      if (profile) slot.profile = profile;
      slot.labels = entry.labels ?? ['esp32', `esp32-${id}`];
      doc.setIn(['slots', id], doc.createNode(slot));
      result.added.push(id);
    } else if (existing !== entry.serial_by_id) {
      doc.setIn(['slots', id, 'serial'], entry.serial_by_id);
      result.updated.push(id);
    } else {
      result.unchanged.push(id);
    }
  }
  if (!dryRun && (result.added.length || result.updated.length))
    await writeFileAtomic(configPath, String(doc));
  return result;
}
