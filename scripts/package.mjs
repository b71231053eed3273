#!/usr/bin/env node
// Builds what a user installs, from dist/ and package.json's version:
//   - the npm tarball (no runtime dependencies: everything is bundled in dist/);
//   - a single executable, `hutctl-<version>-linux-<arch>`: the Node.js that runs this script
//     with hutctl injected (Node's single-executable applications), needing no Node.js at all;
//   - a .deb around that executable, with the man page, completions and schemas.
// Then prints each artifact's path, size and sha256, and writes SHA256SUMS beside them.
//
//   node scripts/package.mjs [--out <dir>] [--no-build] [--only tarball,sea,deb] [--fast]
//
// --fast compresses the .deb at xz level 1 (seconds, ~15 % bigger) instead of 6 (a minute or two).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { arch } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { pagePlugin } from './page.mjs';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'release' },
    'no-build': { type: 'boolean', default: false },
    only: { type: 'string', default: 'tarball,sea,deb' },
    fast: { type: 'boolean', default: false },
  },
});
const out = resolve(values.out);
const only = new Set(values.only.split(','));
for (const name of only) {
  if (!['tarball', 'sea', 'deb'].includes(name)) fail(`--only: unknown artifact "${name}"`);
}
if (only.has('deb') && !only.has('sea')) fail('--only deb needs sea too: the .deb wraps it');

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.version;
const debArch = { x64: 'amd64', arm64: 'arm64' }[arch()];
if (!debArch) fail(`no single executable for this architecture (${arch()})`);

process.chdir(root);
if (!values['no-build']) run(process.execPath, ['scripts/build.mjs']);
mkdirSync(out, { recursive: true });
const made = [];
if (only.has('tarball')) made.push(tarball());
if (only.has('sea')) made.push(await singleExecutable());
if (only.has('deb')) made.push(deb(made.at(-1)));
report(made);

function tarball() {
  const [packed] = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', out], { quiet: true }),
  );
  return join(out, packed.filename);
}

/**
 * The executable starts like `dist/hutctl.cjs`: `--version` answers at once, and anything
 * else compiles the whole bundle, kept as an asset with V8's code cache for it, so the code
 * is neither parsed nor compiled on the way in. The bundle is the same sources as dist/ in one
 * file (the flasher included: an executable cannot require a file beside it), and a dynamic
 * import of a Node built-in becomes a require, which an injected script can do.
 */
async function singleExecutable() {
  const work = join(out, 'sea');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const bundle = join(work, 'main.cjs');
  await build({
    entryPoints: [join(root, 'src/cli/bin.ts')],
    outfile: bundle,
    plugins: [pagePlugin(null)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    define: { HUTCTL_VERSION: JSON.stringify(version) },
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  });
  const code = readFileSync(bundle, 'utf8').replace(
    /\bimport\("(node:[a-z_/]+)"\)/g,
    'Promise.resolve(require("$1"))',
  );
  const left = /\bimport\(/.exec(code);
  if (left)
    fail(
      `the bundle still has a dynamic import, which an executable cannot load: …${code.slice(left.index, left.index + 60)}…`,
    );
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
  writeFileSync(join(work, 'main.js'), wrapped);
  const filename = '/hutctl/main.cjs';
  writeFileSync(join(work, 'main.cache'), new vm.Script(wrapped, { filename }).createCachedData());
  writeFileSync(
    join(work, 'entry.cjs'),
    `if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  process.stdout.write(${JSON.stringify(`${version}\n`)});
} else {
  const { getAsset } = require('node:sea');
  const script = new (require('node:vm').Script)(getAsset('main.js', 'utf8'), {
    filename: ${JSON.stringify(filename)},
    cachedData: new Uint8Array(getAsset('main.cache')),
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, ${JSON.stringify(filename)}, '/hutctl');
}
`,
  );
  const blob = join(work, 'sea.blob');
  writeFileSync(
    join(work, 'sea-config.json'),
    JSON.stringify({
      main: join(work, 'entry.cjs'),
      output: blob,
      disableExperimentalSEAWarning: true,
      // NODE_OPTIONS is not for it: hutctl is a program, not a Node.js, and a user's
      // NODE_OPTIONS=--require=… would run that code inside it (or a flag meant for their own
      // node would stop it starting). Ignored, and no --node-options either.
      execArgvExtension: 'none',
      assets: { 'main.js': join(work, 'main.js'), 'main.cache': join(work, 'main.cache') },
    }),
  );
  run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], {
    quiet: true,
  });
  const exe = join(out, `hutctl-${version}-linux-${arch()}`);
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // postject prints a warning per ELF note it does not know; only a failure is worth showing.
  run(
    process.execPath,
    [
      join(root, 'node_modules/postject/dist/cli.js'),
      exe,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    ],
    { quiet: true },
  );
  rmSync(work, { recursive: true, force: true });
  // A Node.js that predates execArgvExtension would ignore the field, not refuse it: an
  // executable that still reads NODE_OPTIONS (here, a flag no Node.js knows) is not shipped.
  const ignores = spawnSync(exe, ['--version'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '--hutctl-no-such-option' },
  });
  if (ignores.status !== 0 || ignores.stdout !== `${version}\n`) {
    rmSync(exe, { force: true });
    fail(
      `the single executable reads NODE_OPTIONS: build it with a Node.js whose single executables take execArgvExtension (this is ${process.version})`,
    );
  }
  return exe;
}

/** A .deb of the executable, the man page, completions, schemas and the usual doc files. */
function deb(exe) {
  const name = `hutctl_${version}_${debArch}`;
  const stage = join(out, name);
  rmSync(stage, { recursive: true, force: true });
  const put = (path, data, mode = 0o644) => {
    const target = join(stage, path);
    mkdirSync(join(target, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(target, data, { mode });
    chmodSync(target, mode);
  };
  const gz = (path) => gzipSync(readFileSync(join(root, path)), { level: 9 });
  put('usr/bin/hutctl', readFileSync(exe), 0o755);
  put('usr/share/man/man1/hutctl.1.gz', gz('man/hutctl.1'));
  put('usr/share/bash-completion/completions/hutctl', readFileSync('completions/hutctl.bash'));
  put('usr/share/zsh/vendor-completions/_hutctl', readFileSync('completions/_hutctl'));
  put('usr/share/fish/vendor_completions.d/hutctl.fish', readFileSync('completions/hutctl.fish'));
  for (const schema of readdirSync('schemas').filter((f) => f.endsWith('.json')))
    put(`usr/share/hutctl/schemas/${schema}`, readFileSync(join('schemas', schema)));
  put('usr/share/doc/hutctl/copyright', copyright());
  put('usr/share/doc/hutctl/changelog.gz', gz('CHANGELOG.md'));
  put('usr/share/doc/hutctl/README.md', readFileSync('README.md'));
  const installedKb = Math.ceil(duKb(stage));
  put(
    'DEBIAN/control',
    `Package: hutctl
Version: ${version}
Architecture: ${debArch}
Maintainer: The hutctl authors <hutctl@users.noreply.github.com>
Installed-Size: ${installedKb}
Depends: openssh-client, util-linux, perl-base
Recommends: socat, esptool
Section: devel
Priority: optional
Homepage: ${pkg.homepage.replace(/#.*$/, '')}
Description: control plane for hardware-in-the-loop CI
 hutctl runs CI work on board farms: remote jobs on the arch, infra and runner
 hosts, locked board slots, relay power through Home Assistant, ESP32 flashing
 and hardware tests, and delegation between roles, with evidence for every run.
 This package is a single executable with Node.js inside; it needs no Node.js.
`,
  );
  const file = join(out, `${name}.deb`);
  // xz, which every dpkg reads.
  const level = values.fast ? '-z1' : '-z6';
  run('dpkg-deb', ['--root-owner-group', '-Zxz', level, '--build', stage, file], { quiet: true });
  rmSync(stage, { recursive: true, force: true });
  return file;
}

function copyright() {
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hutctl
Source: ${pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')}

Files: *
Copyright: ${
    readFileSync('LICENSE', 'utf8')
      .match(/^Copyright .*$/m)?.[0]
      .replace(/^Copyright (\(c\) )?/, '') ?? 'The hutctl authors'
  }
License: MIT
${readFileSync('LICENSE', 'utf8')
  .trim()
  .split('\n')
  .map((line) => (line.trim() === '' ? ' .' : ` ${line}`))
  .join('\n')}

Files: usr/bin/hutctl
Comment: the executable holds the Node.js runtime (MIT and others: https://github.com/nodejs/node/blob/main/LICENSE)
License: MIT
`;
}

function duKb(dir) {
  return Number(run('du', ['-sk', '--apparent-size', dir], { quiet: true }).split('\t')[0]);
}

function report(files) {
  const lines = [];
  for (const file of files) {
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    const mb = (statSync(file).size / 1e6).toFixed(1);
    lines.push(`${sha}  ${basename(file)}`);
    process.stdout.write(`${file}  ${mb} MB  sha256 ${sha}\n`);
  }
  writeFileSync(join(out, 'SHA256SUMS'), `${lines.join('\n')}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    fail(`${command} ${args.join(' ')} failed (exit ${result.status})`);
  }
  if (!options.quiet) process.stdout.write(result.stdout);
  return result.stdout;
}

function fail(message) {
  process.stderr.write(`package: ${message}\n`);
  process.exit(1);
}
