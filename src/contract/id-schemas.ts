/** The id grammar (ids.ts) as zod checks, for schemas: invocations, reports, hutctl.yaml. */
import * as z from 'zod/mini';
import { ID_GRAMMAR, type IdKind } from './ids.ts';
import './zod.ts';

export const idSchema = (kind: IdKind) =>
  z
    .string()
    .check(z.regex(ID_GRAMMAR[kind].pattern, { error: `${kind}: ${ID_GRAMMAR[kind].rule}` }));

/** A job_id or lock_key: it names files, so it may never reach outside its directory. */
export const safeId = (what: 'job_id' | 'lock_key') => idSchema(what);

export const roleName = z.string().check(
  z.regex(/^[a-z][a-z0-9-]{0,31}$/, {
    error: 'a role is lower-case letters, digits and -, starting with a letter',
  }),
);
