/**
 * CI outputs for hardware results: JUnit XML that strict XML parsers accept, GitHub annotations
 * and step outputs, a Markdown summary, and a table for the terminal.
 */
import type { HilResult } from './run.ts';

/** ANSI colour and cursor sequences (ESP-IDF logs are coloured through v5.3). */
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]/g;

/** Text without ANSI sequences, as a message a person reads. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * Text for an XML 1.0 document: markup escaped, and every character XML 1.0 forbids (control
 * characters, lone surrogates, U+FFFE/U+FFFF) shown as `\uXXXX` instead of breaking the file.
 */
export function xmlText(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replace(
      /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
}

const xml = (text: string) => xmlText(stripAnsi(text));

export function junitXml(results: HilResult[], suite = 'hutctl-hil'): string {
  const failures = results.filter((r) => r.status === 'fail').length;
  const errors = results.filter((r) => r.status === 'blocked').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  const time = results.reduce((t, r) => t + r.duration_sec, 0);
  const cases = results.map((r) => {
    const name = `${r.test_id} ${r.slot}`;
    const body =
      r.status === 'fail'
        ? `\n      <failure message="${xml(r.reason)}" type="${r.phase}"/>`
        : r.status === 'blocked'
          ? `\n      <error message="${xml(r.reason)}" type="blocked:${r.phase}"/>`
          : r.status === 'skipped'
            ? `\n      <skipped message="${xml(r.reason)}"/>`
            : '';
    // The raw log stays as written (colour codes and all, escaped), as an attachment path too.
    const out = `\n      <system-out>${xmlText(`commit ${r.commit_sha}, lane ${r.lane}, platform ${r.platform ?? '-'}, power cycles ${r.power_cycles}, recovery events ${r.recovery_events}\n${r.evidence.join('\n')}\n${r.evidence.map((e) => `[[ATTACHMENT|${e}]]`).join('\n')}`)}</system-out>`;
    return `    <testcase classname="${xml(`${suite}.${r.slot}`)}" name="${xml(name)}" time="${r.duration_sec}">${body}${out}\n    </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="${xml(suite)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

export function markdownSummary(results: HilResult[]): string {
  const icon = {
    pass: '✅ pass',
    fail: '❌ fail',
    blocked: '⚠️ blocked',
    skipped: '⏭️ skipped',
  } as const;
  const sha = results[0]?.commit_sha ?? '';
  const lines = [
    `### Hardware results for \`${sha.slice(0, 12)}\` (lane local-hil)`,
    '',
    '| slot | platform | test | result | reason | power cycles | recoveries |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.slot} | ${r.platform ?? '-'} | ${r.test_id} | ${icon[r.status]} | ${r.reason.replaceAll('|', '\\|')} | ${r.power_cycles} | ${r.recovery_events} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

export function resultTable(results: HilResult[]): string[] {
  return results.map(
    (r) =>
      `${r.slot.padEnd(8)} ${(r.platform ?? '-').padEnd(10)} ${r.status.padEnd(8)} ${r.phase.padEnd(8)} ${r.reason}`,
  );
}

/**
 * 0 when every slot passed (or was skipped: it passed before), 1 when any failed, 3 when none
 * failed but some were blocked.
 */
export function exitStatus(results: HilResult[]): number {
  if (results.some((r) => r.status === 'fail')) return 1;
  if (results.some((r) => r.status === 'blocked')) return EXIT_BLOCKED;
  return 0;
}

/** The farm kept a run from its verdict, or from keeping it (docs/exit-codes.md). */
export const EXIT_BLOCKED = 3;

/** A JUnit file for a run that could not start (bad input, no config): one errored case. */
export function junitForError(test: string, message: string, suite = 'hutctl-hil'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="${xml(suite)}" tests="1" failures="0" errors="1" time="0">\n    <testcase classname="${xml(suite)}" name="${xml(test)}" time="0">\n      <error message="${xml(message)}" type="not-run"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n`;
}

/** GitHub workflow commands: one `::error` per failing or blocked slot (values escaped as GitHub says). */
export function githubAnnotations(results: HilResult[]): string[] {
  const message = (text: string) =>
    stripAnsi(text).replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
  const property = (text: string) => message(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
  return results
    .filter((r) => r.status === 'fail' || r.status === 'blocked')
    .map(
      (r) =>
        `::error title=${property(`${r.test_id} ${r.slot} ${r.status} (${r.phase})`)}::${message(r.reason)}`,
    );
}

/** `$GITHUB_OUTPUT` lines: the overall result and the counts (a skipped test passed before). */
export function githubOutputs(results: HilResult[]): string {
  const count = (status: HilResult['status']) => results.filter((r) => r.status === status).length;
  const overall = count('fail') ? 'fail' : count('blocked') ? 'blocked' : 'pass';
  return `result=${overall}\npassed=${count('pass')}\nfailed=${count('fail')}\nblocked=${count('blocked')}\nskipped=${count('skipped')}\n`;
}
