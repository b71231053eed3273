/**
 * The CI examples run as written: the hutctl commands of the GitHub Actions hardware job and of
 * the GitLab `.hil` job, taken from the files users copy, run against the simulated farm with a
 * generated ESP-IDF build laid out as each CI system hands it over.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CLI, finished } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';
import { writeIdfBuild } from '../support/idf-build.ts';

const DOCS = fileURLToPath(new URL('../../docs/ci/', import.meta.url));
const SHA = 'feedface0123456789abcdef0123456789abcdef';

let t: TestFarm;
let bin: string;
before(async () => {
  t = await startTestFarm(2);
  // `hutctl` on the PATH, as on the runner VM.
  bin = join(t.dir, 'bin-hutctl');
  mkdirSync(bin);
  writeFileSync(join(bin, 'hutctl'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
    mode: 0o755,
  });
});
after(async () => {
  await t.stop();
});

/**
 * Runs one CI `run:`/`script:` line with the CI system's variables set (asynchronously: the
 * simulated farm answers from this process).
 */
async function ciShell(line: string, cwd: string, env: Record<string, string>) {
  const child = spawn('sh', ['-ec', line], {
    cwd,
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      HUTCTL_CONFIG: t.farm.configPath,
      ...env,
    },
  });
  const result = await finished(child);
  return { code: result.code, out: `${result.stdout}${result.stderr}` };
}

test('GitHub Actions: the hardware job of docs/ci/github-actions.yml, step by step, on the simulated farm', async () => {
  const workflow = parse(readFileSync(join(DOCS, 'github-actions.yml'), 'utf8'));
  const job = workflow.jobs.hardware;
  const include = job.strategy.matrix.include as Array<{ slot: string; profile: string }>;
  for (const { slot, profile } of include) {
    const workspace = join(t.dir, `gh-${slot}`);
    // download-artifact of the build job's upload: the tree below build/<profile>/.
    const build = writeIdfBuild(join(workspace, 'src'), { project: 'squeezelite' });
    cpSync(build.buildDir, join(workspace, 'fw'), { recursive: true });
    const env: Record<string, string> = { GITHUB_SHA: SHA, SLOT: slot, PROFILE: profile };
    for (const step of job.steps as Array<{ run?: string; name: string }>) {
      if (!step.run?.includes('hutctl')) continue;
      // GitHub's expression syntax, built so it does not read as a JS template placeholder.
      const matrix = (key: string) => `$\{{ matrix.${key} }}`;
      const line = step.run.replaceAll(matrix('slot'), slot).replaceAll(matrix('profile'), profile);
      const r = await ciShell(line, workspace, env);
      assert.equal(r.code, 0, `${step.name}: ${r.out}`);
    }
    assert.ok(
      existsSync(join(workspace, 'evidence', `hil-${slot}.xml`)),
      'the JUnit file the upload step expects',
    );
    execFileSync('xmllint', ['--noout', join(workspace, 'evidence', `hil-${slot}.xml`)]);
  }
});

test('GitLab CI: the .hil job of docs/ci/gitlab-ci.yml, for each slot job, on the simulated farm', async () => {
  const pipeline = parse(readFileSync(join(DOCS, 'gitlab-ci.yml'), 'utf8'));
  const script = pipeline['.hil'].script as string[];
  for (const name of ['hil-hut-01', 'hil-hut-02']) {
    const { SLOT, PROFILE } = pipeline[name].variables as { SLOT: string; PROFILE: string };
    const workspace = join(t.dir, `gl-${SLOT}`);
    // GitLab restores the build job's artifacts at their paths: build/<profile>/….
    const build = writeIdfBuild(join(workspace, 'src'), { project: 'squeezelite' });
    mkdirSync(dirname(join(workspace, 'build', PROFILE)), { recursive: true });
    cpSync(build.buildDir, join(workspace, 'build', PROFILE), { recursive: true });
    const env = { CI_COMMIT_SHA: SHA, SLOT, PROFILE };
    for (const line of script) {
      const r = await ciShell(line, workspace, env);
      assert.equal(r.code, 0, `${line}: ${r.out}`);
    }
    execFileSync('xmllint', ['--noout', join(workspace, 'evidence', `hil-${SLOT}.xml`)]);
  }
});
