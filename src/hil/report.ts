/** CI outputs for hardware results: JUnit XML, a Markdown summary, and a table for the terminal. */
import type { HilResult } from './run.ts';

const xml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

export function junitXml(results: HilResult[], suite = 'hutctl-hil'): string {
  const failures = results.filter((r) => r.status === 'fail').length;
  const errors = results.filter((r) => r.status === 'blocked').length;
  const time = results.reduce((t, r) => t + r.duration_sec, 0);
  const cases = results.map((r) => {
    const name = `${r.test_id} ${r.slot}`;
    const body =
      r.status === 'fail'
        ? `\n      <failure message="${xml(r.reason)}" type="${r.phase}"/>`
        : r.status === 'blocked'
          ? `\n      <error message="${xml(r.reason)}" type="blocked:${r.phase}"/>`
          : '';
    const out = `\n      <system-out>${xml(`commit ${r.commit_sha}, lane ${r.lane}, platform ${r.platform ?? '-'}, power cycles ${r.power_cycles}, recovery events ${r.recovery_events}\n${r.evidence.join('\n')}`)}</system-out>`;
    return `    <testcase classname="${xml(`${suite}.${r.slot}`)}" name="${xml(name)}" time="${r.duration_sec}">${body}${out}\n    </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="${xml(suite)}" tests="${results.length}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

export function markdownSummary(results: HilResult[]): string {
  const icon = { pass: '✅ pass', fail: '❌ fail', blocked: '⚠️ blocked' } as const;
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

/** 0 when every slot passed, 1 when any failed, 3 when none failed but some were blocked. */
export function exitStatus(results: HilResult[]): number {
  if (results.some((r) => r.status === 'fail')) return 1;
  if (results.some((r) => r.status === 'blocked')) return 3;
  return 0;
}
