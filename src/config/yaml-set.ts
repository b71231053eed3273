/**
 * Sets string keys of one map in hutctl.yaml's text (`targets.runner.host: …`) at the YAML
 * library's node ranges: a key that is there has only its value replaced, a missing one is a new
 * line at the end of its map, a missing map is a new block — every other line, comment and quote
 * stays byte for byte. The result is parsed again and must be the old data with just these keys
 * changed; a layout this cannot edit in place (a flow map, a value that is not a string) is refused
 * with what to fix by hand.
 */
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, type Node, type Pair, parse, parseDocument, type YAMLMap } from 'yaml';
import { HutError } from '../errors/index.ts';

interface Edit {
  at: number;
  end: number;
  text: string;
}

/** `text` with `path` (a map, created when missing) holding `values`; null when nothing changes. */
export function setMapStrings(
  text: string,
  path: string[],
  values: Record<string, string>,
  where: string,
): string | null {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new HutError('CONFIG', `${where}: ${doc.errors[0]!.message.split('\n')[0]}`);
  const before = (doc.toJS() ?? {}) as Record<string, unknown>;
  let map = doc.contents as Node | null;
  if (map !== null && !isMap(map))
    throw new HutError('CONFIG', `${where}: the top level is not a map of keys`);
  let edit: Edit | null = null;
  const edits: Edit[] = [];
  // Walk down the path; the first missing map gets the rest as a new block.
  let depth = 0;
  for (; depth < path.length; depth++) {
    const pair: Pair<Node, Node | null> | undefined = map
      ? pairOf(map as YAMLMap, path[depth]!)
      : undefined;
    if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) {
      edit = newBlock(text, map as YAMLMap | null, pair, path.slice(depth), values, where);
      break;
    }
    if (!isMap(pair.value) || pair.value.flow)
      throw new HutError(
        'CONFIG',
        `${where}: ${path.slice(0, depth + 1).join('.')} is not a block map; set ${Object.keys(values).join(', ')} there by hand`,
      );
    map = pair.value;
  }
  if (edit) edits.push(edit);
  else {
    const target = map as YAMLMap;
    const fresh: string[] = [];
    for (const [key, value] of Object.entries(values)) {
      const pair = pairOf(target, key);
      if (!pair) {
        fresh.push(`${key}: ${scalarText(value)}`);
        continue;
      }
      if (!isScalar(pair.value) || !pair.value.range)
        throw new HutError(
          'CONFIG',
          `${where}: ${[...path, key].join('.')} is not a plain value; set it by hand`,
        );
      if (pair.value.value === value) continue;
      const [at, end] = pair.value.range;
      edits.push({ at, end, text: scalarText(value) });
    }
    if (fresh.length > 0) {
      const first = target.items[0]!.key as Node;
      const indent = ' '.repeat(column(text, first.range![0]));
      const last = target.items.at(-1)!;
      const after = ((last.value as Node | null)?.range ?? (last.key as Node).range)![1];
      const at = lineEnd(text, Math.max(0, after - 1));
      const lead = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
      edits.push({ at, end: at, text: lead + fresh.map((l) => `${indent}${l}\n`).join('') });
    }
  }
  if (edits.length === 0) return null;
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at))
    out = out.slice(0, e.at) + e.text + out.slice(e.end);
  // The edit must be exactly the change asked for.
  const expected = structuredClone(before);
  let node = expected as Record<string, unknown>;
  for (const key of path) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  Object.assign(node, values);
  if (!isDeepStrictEqual(parse(out), expected))
    throw new HutError('CONFIG', `${where}: cannot set ${path.join('.')} in place; set it by hand`);
  return out;
}

function newBlock(
  text: string,
  parent: YAMLMap | null,
  pair: Pair<Node, Node | null> | undefined,
  rest: string[],
  values: Record<string, string>,
  where: string,
): Edit {
  if (parent?.flow)
    throw new HutError('CONFIG', `${where}: a flow map; add ${rest.join('.')} by hand`);
  const base = parent?.items[0] ? column(text, (parent.items[0].key as Node).range![0]) : 0;
  const lines: string[] = [];
  rest.forEach((key, i) => {
    if (i === 0 && pair) return; // `key:` or `key: ~` is there already
    lines.push(`${' '.repeat(base + 2 * i)}${key}:`);
  });
  const inner = ' '.repeat(base + 2 * rest.length);
  for (const [key, value] of Object.entries(values))
    lines.push(`${inner}${key}: ${scalarText(value)}`);
  const block = `${lines.join('\n')}\n`;
  if (pair) {
    // `key:` / `key: ~`: the block goes on the lines after it (a null value's text is dropped).
    const keyEnd = (pair.key as Node).range![1];
    const valueRange = (pair.value as Node | null)?.range;
    const at = lineEnd(text, valueRange ? valueRange[1] - 1 : keyEnd);
    const cut = valueRange ? { at: valueRange[0], end: valueRange[1] } : null;
    if (cut) return { at: cut.at, end: at, text: `\n${block}` };
    return { at, end: at, text: (text[at - 1] === '\n' || at === 0 ? '' : '\n') + block };
  }
  if (!parent) return { at: text.length, end: text.length, text: block };
  const last = parent.items.at(-1)!;
  const after = ((last.value as Node | null)?.range ?? (last.key as Node).range)![1];
  const at = lineEnd(text, Math.max(0, after - 1));
  return { at, end: at, text: (at > 0 && text[at - 1] !== '\n' ? '\n' : '') + block };
}

function pairOf(map: YAMLMap, key: string): Pair<Node, Node | null> | undefined {
  return (map.items as Array<Pair<Node, Node | null>>).find(
    (p) => isScalar(p.key) && p.key.value === key,
  );
}

/** A string as YAML text: plain when that reads back as the same string, else JSON-quoted. */
function scalarText(value: string): string {
  return /^[A-Za-z0-9_./~@-]+$/.test(value) && parse(value) === value
    ? value
    : JSON.stringify(value);
}

const column = (text: string, at: number) => at - (text.lastIndexOf('\n', at - 1) + 1);
const lineEnd = (text: string, at: number) => {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
};
