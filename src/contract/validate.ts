/** Validation of contract documents with every problem reported at its JSON path. */
import * as z from 'zod/mini';
import { HutError } from '../errors/index.ts';
import { CONTRACTS, type ContractName, type Invocation, invocationSchema } from './schemas.ts';
import { skippedKeys } from './skipped-keys.ts';

export interface ContractIssue {
  path: string;
  message: string;
}

export interface ContractCheck {
  contract: ContractName | null;
  valid: boolean;
  issues: ContractIssue[];
}

/** `$.command[1]` style path for a zod issue path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

export function issuesOf(error: z.core.$ZodError): ContractIssue[] {
  const out: ContractIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: jsonPath([...issue.path, key]), message: 'unknown field' });
      }
      continue;
    }
    // A record's key that breaks its name rule: the key (the issue's path ends with it) and
    // the rule ("slot: lower-case letters, …"), as the config loader says it, not zod's
    // "Invalid key in record".
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    out.push({ path: jsonPath(issue.path), message: unprefixed(issue.path, message) });
  }
  return out;
}

/**
 * An id rule names its kind ("job_id: letters, digits…") for where the path does not (a record's
 * key); after a path that ends with that very name it would be said twice.
 */
export function unprefixed(path: readonly PropertyKey[], message: string): string {
  const last = path.at(-1);
  return typeof last === 'string' && message.startsWith(`${last}: `)
    ? message.slice(last.length + 2)
    : message;
}

export type Checked<T> = { success: true; data: T } | { success: false; issues: ContractIssue[] };

/**
 * `schema.safeParse(value)` with every problem at its JSON path, including the `__proto__` keys a
 * record would skip without a word (skipped-keys.ts): refused with the record's rule, not dropped.
 */
export function checkSchema<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
): Checked<z.core.output<S>> {
  const result = z.safeParse(schema, value);
  const skipped = skippedKeys(schema, value).map((key) => ({
    path: jsonPath(key.path),
    message: key.message,
  }));
  if (result.success && skipped.length === 0) return { success: true, data: result.data };
  return {
    success: false,
    issues: [...(result.success ? [] : issuesOf(result.error)), ...skipped],
  };
}

/** Parses JSON text; a syntax error names the source and where in it. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HutError('INPUT', `${source}: malformed JSON: ${reason}`, {
      hint: 'fix the JSON syntax and try again',
    });
  }
}

/** Checks a parsed document against the contract its `schema_version` names (or `expected`). */
export function checkContract(value: unknown, expected?: ContractName): ContractCheck {
  const declared =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>).schema_version
      : undefined;
  const name =
    expected ??
    (typeof declared === 'string' && Object.hasOwn(CONTRACTS, declared) ? declared : null);
  if (name === null) {
    const message =
      declared === undefined
        ? 'missing schema_version (expected ws2.invocation.v1 or ws2.report.v1)'
        : `unknown schema_version ${JSON.stringify(declared)} (expected ws2.invocation.v1 or ws2.report.v1)`;
    return { contract: null, valid: false, issues: [{ path: '$.schema_version', message }] };
  }
  const result = checkSchema(CONTRACTS[name as ContractName], value);
  return {
    contract: name as ContractName,
    valid: result.success,
    issues: result.success ? [] : result.issues,
  };
}

/** Parses and validates an invocation, throwing one INPUT error that lists every problem. */
export function parseInvocation(text: string, source: string): Invocation {
  return validateInvocation(parseJsonText(text, source), source);
}

/** Validates an already parsed invocation, throwing one INPUT error that lists every problem. */
export function validateInvocation(value: unknown, source: string): Invocation {
  const result = checkSchema(invocationSchema, value);
  if (result.success) return result.data;
  const issues = result.issues;
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  // A file or stdin can be validated again; an invocation built from flags names its flags.
  const fromFile = !source.startsWith('hutctl ');
  throw new HutError('INPUT', `${source}: ${first.path}: ${first.message}${more}`, {
    ...(fromFile
      ? {
          hint: `run 'hutctl contract validate ${source === 'stdin' ? '-' : source}' to list every problem`,
        }
      : {}),
    details: issues,
  });
}
