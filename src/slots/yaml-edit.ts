/**
 * Slots merged into the text of hutctl.yaml at the YAML library's node ranges, so the lines of
 * the slots that do not change — and every comment, quote, blank line and key order — stay
 * byte for byte. The result is parsed again and must be the old data with just these changes.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  isMap,
  isScalar,
  type Node,
  type Pair,
  parse,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { HutError } from '../errors/index.ts';

export interface SlotEntry {
  serial: string;
  profile?: string;
  labels: string[];
}

export interface SlotMerge {
  text: string;
  added: string[];
  updated: string[];
  unchanged: string[];
}

interface Edit {
  at: number;
  end: number;
  text: string;
}

/** `text` with each slot in `slots` added, or its serial updated. */
export function mergeSlots(
  text: string,
  slots: Record<string, SlotEntry>,
  where: string,
): SlotMerge {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new HutError('CONFIG', `${where}: ${doc.errors[0]!.message.split('\n')[0]}`);
  const top = doc.contents;
  if (top !== null && !isMap(top))
    throw new HutError('CONFIG', `${where}: the top level is not a map of keys`);
  const result: SlotMerge = { text, added: [], updated: [], unchanged: [] };
  const edits: Edit[] = [];
  const fresh: Array<[string, SlotEntry]> = [];
  const slotsPair = top ? pairOf(top, 'slots') : undefined;
  const slotsMap = slotsPair?.value;
  if (slotsPair && !isMap(slotsMap) && !isNull(slotsMap))
    throw new HutError('CONFIG', `${where}: slots is not a map; fix it by hand`);
  for (const [id, entry] of Object.entries(slots)) {
    const slotPair = isMap(slotsMap) ? pairOf(slotsMap, id) : undefined;
    if (!slotPair) {
      fresh.push([id, entry]);
      result.added.push(id);
      continue;
    }
    const slot = slotPair.value;
    if (!isMap(slot))
      throw new HutError('CONFIG', `${where}: slots.${id} is not a map; fix it by hand`);
    const serial = pairOf(slot, 'serial')?.value;
    if (isScalar(serial) && serial.value === entry.serial) {
      result.unchanged.push(id);
    } else if (isScalar(serial) && serial.range) {
      const [at, end] = serial.range;
      edits.push({ at, end, text: scalarText(entry.serial, serial.type) });
      result.updated.push(id);
    } else if (!serial) {
      edits.push(insertInto(text, slot, `serial: ${scalarText(entry.serial)}`));
      result.updated.push(id);
    } else
      throw new HutError('CONFIG', `${where}: slots.${id}.serial is not a string; fix it by hand`);
  }
  if (fresh.length > 0) edits.push(addSlots(text, top, slotsPair, fresh));
  let out = text;
  for (const edit of edits.sort((a, b) => b.at - a.at))
    out = out.slice(0, edit.at) + edit.text + out.slice(edit.end);
  result.text = out;
  checkMerge(doc.toJS() ?? {}, out, slots, result, where);
  return result;
}

function pairOf(map: YAMLMap, key: string): Pair<Node, Node | null> | undefined {
  return (map.items as Array<Pair<Node, Node | null>>).find(
    (p) => isScalar(p.key) && p.key.value === key,
  );
}

const isNull = (node: unknown) => node === null || (isScalar(node) && node.value === null);

/** A scalar as YAML text: plain when that reads back as the same string, else in quotes. */
function scalarText(value: string, type?: Scalar.Type): string {
  if (type === 'QUOTE_SINGLE') return `'${value.replaceAll("'", "''")}'`;
  if (type !== 'QUOTE_DOUBLE' && /^[A-Za-z0-9_./-]+$/.test(value) && parse(value) === value)
    return value;
  return JSON.stringify(value);
}

function flowSlot(id: string, entry: SlotEntry): string {
  const profile = entry.profile === undefined ? '' : `, profile: ${scalarText(entry.profile)}`;
  const labels = entry.labels.map((l) => scalarText(l)).join(', ');
  return `${scalarText(id)}: {serial: ${scalarText(entry.serial)}${profile}, labels: [${labels}]}`;
}

function blockSlot(id: string, entry: SlotEntry, indent: string, step: string): string {
  return [
    `${indent}${scalarText(id)}:`,
    `${indent}${step}serial: ${scalarText(entry.serial)}`,
    ...(entry.profile === undefined
      ? []
      : [`${indent}${step}profile: ${scalarText(entry.profile)}`]),
    `${indent}${step}labels: [${entry.labels.map((l) => scalarText(l)).join(', ')}]`,
    '',
  ].join('\n');
}

const column = (text: string, at: number) => at - (text.lastIndexOf('\n', at - 1) + 1);
const lineEnd = (text: string, at: number) => {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
};

/** Where and what to insert for new slots: after the last slot, in the map's own style. */
function addSlots(
  text: string,
  top: YAMLMap | null,
  slotsPair: Pair<Node, Node | null> | undefined,
  fresh: Array<[string, SlotEntry]>,
): Edit {
  const slots = slotsPair?.value;
  if (isMap(slots) && slots.flow)
    return intoFlow(
      text,
      slots,
      fresh.map(([id, e]) => flowSlot(id, e)),
    );
  if (isMap(slots)) {
    const first = slots.items[0]!.key as Node;
    const indent = ' '.repeat(column(text, first.range![0]));
    const sample = slots.items
      .map((p) => p.value)
      .find((v) => isMap(v) && !v.flow && v.items.length);
    const inner = sample
      ? column(text, ((sample as YAMLMap).items[0]!.key as Node).range![0]) - indent.length
      : 2;
    const step = ' '.repeat(inner > 0 ? inner : 2);
    const last = slots.items.at(-1)!;
    const after = ((last.value as Node | null)?.range ?? (last.key as Node).range)![1];
    return insertLines(text, lineEnd(text, Math.max(0, after - 1)), fresh, indent, step);
  }
  if (slotsPair && isScalar(slotsPair.value) && slotsPair.value.source) {
    // `slots: ~`: the null becomes a flow map of the new slots.
    const [at, end] = slotsPair.value.range!;
    return { at, end, text: `{${fresh.map(([id, e]) => flowSlot(id, e)).join(', ')}}` };
  }
  if (slotsPair) {
    const key = (slotsPair.key as Node).range!;
    const indent = ' '.repeat(column(text, key[0]) + 2);
    return insertLines(text, lineEnd(text, key[1]), fresh, indent, '  ');
  }
  const topIndent = top?.items[0] ? column(text, (top.items[0].key as Node).range![0]) : 0;
  const indent = ' '.repeat(topIndent + 2);
  if (top?.flow)
    return intoFlow(text, top, [`slots: {${fresh.map(([id, e]) => flowSlot(id, e)).join(', ')}}`]);
  const slotsKey = `${' '.repeat(topIndent)}slots:\n`;
  const edit = insertLines(text, text.length, fresh, indent, '  ');
  return { ...edit, text: edit.text.replace(/^(\n?)/, `$1${slotsKey}`) };
}

function insertLines(
  text: string,
  at: number,
  fresh: Array<[string, SlotEntry]>,
  indent: string,
  step: string,
): Edit {
  const lead = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  const body = fresh.map(([id, e]) => blockSlot(id, e, indent, step)).join('');
  return { at, end: at, text: lead + body };
}

function intoFlow(text: string, map: YAMLMap, entries: string[]): Edit {
  const close = text.lastIndexOf('}', map.range![1] - 1);
  const before = text.slice(map.range![0] + 1, close).trim();
  const comma = before === '' || before.endsWith(',') ? '' : ', ';
  return { at: close, end: close, text: `${comma}${entries.join(', ')}` };
}

/** `serial: …` as the first key of an existing slot that has none. */
function insertInto(text: string, slot: YAMLMap, line: string): Edit {
  if (slot.flow || slot.items.length === 0) {
    const open = slot.range![0] + 1;
    return { at: open, end: open, text: slot.items.length ? `${line}, ` : line };
  }
  const key = (slot.items[0]!.key as Node).range![0];
  const start = text.lastIndexOf('\n', key - 1) + 1;
  return { at: start, end: start, text: `${' '.repeat(key - start)}${line}\n` };
}

/** The edited text must parse to the old data with exactly the intended slots changed. */
function checkMerge(
  old: unknown,
  text: string,
  slots: Record<string, SlotEntry>,
  merge: SlotMerge,
  where: string,
): void {
  const expected = structuredClone((old ?? {}) as Record<string, unknown>);
  expected.slots ??= {};
  const map = expected.slots as Record<string, Record<string, unknown>>;
  for (const id of merge.added) {
    const { serial, profile, labels } = slots[id]!;
    map[id] = { serial, ...(profile === undefined ? {} : { profile }), labels };
  }
  for (const id of merge.updated) map[id] = { ...map[id], serial: slots[id]!.serial };
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isDeepStrictEqual(doc.toJS() ?? {}, expected)) {
    throw new HutError(
      'CONFIG',
      `${where}: the slots could not be merged without reformatting the file; it was left untouched`,
      { hint: 'add them by hand (see hutctl slot scan --propose)' },
    );
  }
}
