/** `hutctl artifact put|get|list|verify`: build outputs keyed by commit SHA, with a manifest. */
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { note, printJson, printLine } from '../output.ts';

const store = async (command: Command, override?: string) =>
  override ?? (await loadFor(command.optsWithGlobals<GlobalOptions>())).artifacts.store;

export function register(program: Command): void {
  const artifact = program
    .command('artifact')
    .description(
      'artifacts by commit SHA: the upstream lane stores them, the hardware lane verifies and uses them',
    );

  withExamples(
    artifact
      .command('put')
      .description(
        'store files for a commit (copied, sha256 recorded in manifest.json; replaces that SHA/profile whole)',
      )
      .argument('<sha>', 'the commit the files were built from')
      .argument(
        '[files...]',
        'files (a relative path is kept, an absolute one stored by its base name) or directories (their tree)',
      )
      .option(
        '--build-dir <dir>',
        'an ESP-IDF build directory: the images flasher_args.json (else flash_args) names, and those files, at their relative paths',
      )
      .option('--profile <name>', 'build profile (platform), e.g. i2s', 'default')
      .option('--lane <lane>', 'who built it', 'upstream')
      .option('--store <dir>', 'the artifact store (default: artifacts.store, ./artifacts)')
      .option('--json', 'print the manifest'),
    [
      [
        'hutctl artifact put 3f2c1ab --build-dir build/ --profile i2s',
        'the images flash_args names, for profile i2s',
      ],
      ['hutctl artifact put 3f2c1ab fw/ --profile i2s', 'a directory: its whole tree'],
      [
        'hutctl artifact put 3f2c1ab app.bin --store /srv/artifacts',
        'one file, into a shared store',
      ],
    ],
  ).action(
    async (
      sha: string,
      files: string[],
      options: {
        profile: string;
        lane: string;
        store?: string;
        buildDir?: string;
        json?: boolean;
      },
      command: Command,
    ) => {
      const { artifactSources, putArtifact } = await import('../../hil/index.ts');
      if (files.length === 0 && !options.buildDir)
        throw new HutError('USAGE', 'name the files to store, or an ESP-IDF --build-dir');
      const sources = artifactSources({
        files,
        ...(options.buildDir ? { buildDir: options.buildDir } : {}),
      });
      const manifest = await putArtifact(
        await store(command, options.store),
        sha,
        sources,
        options,
      );
      if (options.json) printJson(manifest);
      else {
        printLine(
          `stored ${manifest.files.length} file(s) for ${manifest.commit_sha}/${manifest.profile}: ${manifest.files.map((f) => `${f.name} (${f.size} B)`).join(', ')}`,
        );
        if (manifest.app)
          printLine(
            `app ${manifest.app.project_name} ${manifest.app.version} (ESP-IDF ${manifest.app.idf_ver}) in ${manifest.app.file}`,
          );
      }
    },
  );

  withExamples(
    artifact
      .command('get')
      .description("verify a commit's artifact against its manifest and copy it out")
      .argument('<sha>', 'the commit, as the artifact was stored under it')
      .option('--profile <name>', 'build profile', 'default')
      .option('--to <dir>', 'where to copy the files', '.')
      .option('--store <dir>', 'the artifact store')
      .option(
        '--from-github <owner/repo>',
        "first fetch it from that repository's successful workflow run for the SHA (token: $GITHUB_TOKEN)",
      )
      .option(
        '--name <name>',
        'the GitHub artifact name ({sha}, {profile} filled in)',
        'firmware-{sha}-{profile}',
      )
      .option('--json', 'print the manifest'),
    [
      [
        'hutctl artifact get 3f2c1ab --profile i2s --to fw/',
        'verify it, then copy its files into fw/',
      ],
      [
        'hutctl artifact get "$GITHUB_SHA" --profile i2s --from-github "$GITHUB_REPOSITORY"',
        "in CI: first fetch it from this commit's workflow run",
      ],
    ],
  ).action(async (sha: string, options: GetOptions, command: Command) => {
    const { fetchFromGithub, getArtifact } = await import('../../hil/index.ts');
    const where = await store(command, options.store);
    let full = sha;
    if (options.fromGithub) {
      const fetched = await fetchFromGithub({
        repo: options.fromGithub,
        sha,
        profile: options.profile,
        store: where,
        name: options.name,
        ...(process.env.GITHUB_API_URL ? { apiUrl: process.env.GITHUB_API_URL } : {}),
        ...(process.env.GITHUB_TOKEN ? { token: process.env.GITHUB_TOKEN } : {}),
        ...(options.json ? {} : { progress: (line: string) => note(`hutctl: ${line}`) }),
      });
      full = fetched.commit_sha;
    }
    const manifest = await getArtifact(where, full, options.profile, options.to);
    if (options.json) printJson(manifest);
    else {
      printLine(
        `verified and copied ${manifest.files.length} file(s) of ${manifest.commit_sha}/${manifest.profile} to ${options.to}`,
      );
    }
  });

  withExamples(
    artifact
      .command('verify')
      .description(
        "check a commit's artifact: every file present with the recorded size and sha256",
      )
      .argument('<sha>', 'the commit, as the artifact was stored under it')
      .option('--profile <name>', 'build profile', 'default')
      .option('--store <dir>', 'the artifact store')
      .option('--json', 'print the verified manifest'),
    [
      [
        'hutctl artifact verify 3f2c1ab --profile i2s',
        'every file there, with its size and sha256',
      ],
      ['hutctl artifact verify 3f2c1ab --profile i2s --json', 'the verified manifest, as JSON'],
    ],
  ).action(
    async (
      sha: string,
      options: { profile: string; store?: string; json?: boolean },
      command: Command,
    ) => {
      const { verifyArtifact } = await import('../../hil/index.ts');
      const { manifest } = await verifyArtifact(
        await store(command, options.store),
        sha,
        options.profile,
      );
      if (options.json) return printJson(manifest);
      printLine(
        `${manifest.commit_sha}/${manifest.profile}: ${manifest.files.length} file(s) intact`,
      );
    },
  );

  withExamples(
    artifact
      .command('list')
      .description('the stored artifacts, newest first')
      .option('--store <dir>', 'the artifact store')
      .option('--json', 'print as JSON'),
    [
      ['hutctl artifact list', 'commit, profile, lane, time and files, newest first'],
      ['hutctl artifact list --store /srv/artifacts --json', 'a shared store, as JSON'],
    ],
  ).action(async (options: { store?: string; json?: boolean }, command: Command) => {
    const { listArtifacts } = await import('../../hil/index.ts');
    const all = await listArtifacts(await store(command, options.store));
    if (options.json) return printJson(all);
    if (all.length === 0) printLine('no artifacts stored');
    for (const m of all)
      printLine(
        `${m.commit_sha}  ${m.profile.padEnd(10)} ${m.lane.padEnd(9)} ${m.created_utc}  ${m.files.map((f) => f.name).join(', ')}`,
      );
  });
}

interface GetOptions {
  profile: string;
  to: string;
  store?: string;
  fromGithub?: string;
  name: string;
  json?: boolean;
}
