/**
 * `slot import hut_slots.json`: the runner's existing slot map (`{"hut-01": {"serial_by_id": …}}`)
 * merged into hutctl.yaml: only the lines of added or changed slots change (yaml-edit.ts), written
 * by the documents' one writer (mode, owner, symlink and line endings kept).
 */
import { existsSync } from 'node:fs';
import * as z from 'zod/mini';
import '../contract/zod.ts';
import { CONFIG_MAX_BYTES } from '../config/index.ts';
import { serialPath } from '../config/schema.ts';
import { checkSchema, idSchema } from '../contract/index.ts';
import { documentValue, editDocument, readDocument } from '../docs/index.ts';
import { HutError } from '../errors/index.ts';
import { mergeSlots, type SlotEntry, type SlotMerge } from './yaml-edit.ts';

const slotMapSchema = z.record(
  idSchema('slot'),
  z.looseObject({
    serial_by_id: serialPath,
    profile: z.optional(idSchema('profile')),
    platform: z.optional(idSchema('profile')),
    labels: z.optional(z.array(idSchema('label'))),
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
  // Every key is a slot id, said with its rule; one the schema would skip (`__proto__`) is
  // refused too, not ignored.
  const parsed = checkSchema(slotMapSchema, value);
  if (!parsed.success) {
    const first = parsed.issues[0]!;
    throw new HutError('INPUT', `${source}: ${first.path}: ${first.message}`, {
      hint: 'expected {"hut-01": {"serial_by_id": "/dev/serial/by-id/..."}, ...}',
    });
  }
  const slots: Record<string, SlotEntry> = {};
  for (const [id, entry] of Object.entries(parsed.data)) {
    const where = `${source}: ${id}`;
    const profile = entry.profile || entry.platform;
    slots[id] = {
      serial: documentValue(where, 'serial_by_id', entry.serial_by_id, 'line'),
      ...(profile ? { profile: documentValue(where, 'profile', profile, 'line') } : {}),
      labels: (entry.labels ?? ['esp32', `esp32-${id}`]).map((l) =>
        documentValue(where, 'label', l, 'line'),
      ),
    };
  }
  let merged: SlotMerge | null = null;
  const merge = (text: string) => {
    merged = mergeSlots(text, slots, configPath);
    return merged.text;
  };
  // hutctl.yaml is read under the loader's limit, not a team document's: a file the loader would
  // refuse as a config is not edited as one.
  if (dryRun) merge(existsSync(configPath) ? readDocument(configPath, CONFIG_MAX_BYTES) : '');
  else
    await editDocument(configPath, merge, {
      create: true,
      maxBytes: CONFIG_MAX_BYTES,
      // A config has no old entries to move out: what makes it large is the user's to see.
      sizeHint:
        'remove what does not belong in hutctl.yaml (a pasted file, long comments), then run this again',
    });
  const { added, updated, unchanged } = merged! as SlotMerge;
  return { config: configPath, added, updated, unchanged };
}
