/** Validation of contract documents with every problem reported at its JSON path. */
import type * as z from 'zod/mini';
import { HutError } from '../errors/index.ts';
import { CONTRACTS, type ContractName, type Invocation, invocationSchema } from './schemas.ts';

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
    out.push({ path: jsonPath(issue.path), message: issue.message });
  }
  return out;
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
  const result = CONTRACTS[name as ContractName].safeParse(value);
  return {
    contract: name as ContractName,
    valid: result.success,
    issues: result.success ? [] : issuesOf(result.error),
  };
}

/** Parses and validates an invocation, throwing one INPUT error that lists every problem. */
export function parseInvocation(text: string, source: string): Invocation {
  return validateInvocation(parseJsonText(text, source), source);
}

/** Validates an already parsed invocation, throwing one INPUT error that lists every problem. */
export function validateInvocation(value: unknown, source: string): Invocation {
  const result = invocationSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesOf(result.error);
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
