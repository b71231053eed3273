/**
 * What summaries point at: commit SHAs in every form the team writes them (`2ebd4da`,
 * `runner/runner-agent@c03a9a0`, ranges `6255908..bbad5d5` and `33ef496`..`bbad5d5`) and evidence
 * file names in their four timestamp styles, each read as one UTC instant.
 */

export interface ShaRef {
  sha: string;
  repo: string | null;
  /** For a range `a..b`, the start. */
  from: string | null;
}

export interface EvidenceRef {
  name: string;
  utc: string | null;
  role: 'arch' | 'infra' | 'runner' | null;
}

export function shaRefs(text: string): ShaRef[] {
  const out: ShaRef[] = [];
  const seen = new Set<string>();
  const add = (ref: ShaRef) => {
    const key = `${ref.repo}@${ref.from}..${ref.sha}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(ref);
    }
  };
  // Ranges first: `a..b` in one backtick pair, or `a`..`b` in two.
  for (const m of text.matchAll(/`([0-9a-f]{7,40})`?\.\.`?([0-9a-f]{7,40})`/g))
    add({ sha: m[2]!, repo: null, from: m[1]! });
  for (const m of text.matchAll(/`([\w.-]+\/[\w.-]+)@([0-9a-f]{7,40})`/g))
    add({ sha: m[2]!, repo: m[1]!, from: null });
  for (const m of text.matchAll(/`([0-9a-f]{7,40})`/g)) {
    if (!out.some((r) => r.sha === m[1] || r.from === m[1]))
      add({ sha: m[1]!, repo: null, from: null });
  }
  return out;
}

export function evidenceRefs(text: string): EvidenceRef[] {
  const out: EvidenceRef[] = [];
  for (const m of text.matchAll(
    /`(?:[^`\s]*\/)?([A-Za-z0-9._-]+\.(?:log|json|txt|xml))`|\b([a-z]+_[A-Za-z0-9._-]*_\d{8}[A-Za-z0-9_]*\.(?:log|json))\b/g,
  )) {
    const name = m[1] ?? m[2]!;
    if (out.some((e) => e.name === name)) continue;
    const role = /^(arch|infra|runner)_/.exec(name)?.[1] as EvidenceRef['role'] | undefined;
    out.push({ name, utc: evidenceInstant(name), role: role ?? null });
  }
  return out;
}

/** `_YYYYMMDD_HHMMSS_utc`, `_YYYYMMDD_HHMM_utc`, `YYYYMMDDTHHMMSSZ`, or a date only. */
export function evidenceInstant(name: string): string | null {
  const iso = (d: string, h = '00', mi = '00', s = '00') =>
    `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${h}:${mi}:${s}Z`;
  let m = /_(\d{8})_(\d{2})(\d{2})(\d{2})_utc\b/.exec(name);
  if (m) return iso(m[1]!, m[2], m[3], m[4]);
  m = /_(\d{8})_(\d{2})(\d{2})_utc\b/.exec(name);
  if (m) return iso(m[1]!, m[2], m[3]);
  m = /(\d{8})T(\d{2})(\d{2})(\d{2})Z/.exec(name);
  if (m) return iso(m[1]!, m[2], m[3], m[4]);
  m = /_(\d{8})(?:[._]|$)/.exec(name);
  return m ? iso(m[1]!) : null;
}
