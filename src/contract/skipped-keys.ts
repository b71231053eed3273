/**
 * The `__proto__` keys zod's records skip without a word (assigning one would replace the
 * result's prototype), found and checked against the record's key rule like any other key: a
 * target or slot named `__proto__` is refused with the reason, not dropped silently.
 */
import * as z from 'zod/mini';

export interface SkippedKey {
  path: PropertyKey[];
  message: string;
}

/** Every `__proto__` key in `value` where `schema` has a record, with why the name is refused. */
export function skippedKeys(schema: z.core.$ZodType, value: unknown): SkippedKey[] {
  const found = new Map<string, SkippedKey>();
  const walk = (schema: z.core.$ZodType, value: unknown, path: PropertyKey[]): void => {
    if (typeof value !== 'object' || value === null) return;
    const def = (schema as z.core.$ZodTypes)._zod.def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'nonoptional':
      case 'readonly':
      case 'catch':
        walk(def.innerType, value, path);
        return;
      case 'pipe':
        walk(def.in, value, path);
        return;
      case 'union':
        for (const option of def.options) walk(option, value, path);
        return;
      case 'array':
        if (Array.isArray(value))
          for (const [i, item] of value.entries()) walk(def.element, item, [...path, i]);
        return;
      case 'object':
        for (const [key, inner] of Object.entries(def.shape))
          if (Object.hasOwn(value, key))
            walk(inner, (value as Record<string, unknown>)[key], [...path, key]);
        return;
      case 'record':
        for (const key of Object.keys(value)) {
          const at = [...path, key];
          if (key !== '__proto__') {
            walk(def.valueType, (value as Record<string, unknown>)[key], at);
            continue;
          }
          const checked = z.safeParse(def.keyType, key);
          const message = checked.success
            ? 'the name __proto__ is reserved (JavaScript gives it a meaning of its own)'
            : (checked.error.issues[0]?.message ?? 'not a valid name');
          found.set(at.map(String).join('\0'), { path: at, message });
        }
        return;
      default:
        return;
    }
  };
  walk(schema, value, []);
  return [...found.values()];
}
