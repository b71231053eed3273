#!/usr/bin/env node
// Builds the hutctl command: type-check with tsc, then bundle with esbuild into dist/.
// One bundle loads in a fraction of the time of ~150 separate ES modules, and a CLI called
// from CI scripts pays its start-up on every call.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { pageModule, pagePlugin } from './page.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

try {
  execFileSync('node_modules/.bin/tsc', ['-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
} catch {
  process.exit(1); // tsc has printed the errors
}
rmSync('dist', { recursive: true, force: true });
/** A plugin that leaves what `filter` matches to the bundle `file` beside main.cjs. */
const apart = (file, filter, ours = false) => ({
  name: `${file}-apart`,
  setup(b) {
    b.onResolve({ filter }, (args) =>
      // `pg` only where hutctl imports it: the bundle of pg itself resolves its own.
      ours && args.importer.includes('node_modules')
        ? undefined
        : { path: `./${file}`, external: true },
    );
  },
});
// The flasher (esptool-js and its stubs for every chip, ~400 KB) is a bundle of its own, loaded
// by the commands that flash: in main.cjs it would cost every other command ~30 ms of start-up.
const flashApart = apart('flash.cjs', /[/\\]flash[/\\]index\.ts$/);
// `serve` and `mcp` (the HTTP server and the MCP SDK, ~1 MB) likewise.
const serveApart = apart('serve.cjs', /[/\\]serve[/\\]index\.ts$/);
// `lint docs` (markdownlint, the re2js it matches with, micromark: ~450 KB) and the PostgreSQL
// client (`pg`, ~80 KB, in serve too) are loaded only by what uses them: in main.cjs they were a
// third of what every command reads on the way in.
const lintApart = apart('lint.cjs', /[/\\]docs[/\\]lint\.ts$/);
const pgApart = apart('pg.cjs', /^pg$/, true);
// The boot-marker matcher (re2js, RE2 in JavaScript: ~260 KB), for `config check` and hil only.
// Imported as '../hil/marker.ts' or, within hil/, as './marker.ts'.
const markerApart = apart('marker.cjs', /(^|[/\\])marker\.ts$/);
// import() becomes require(): in CommonJS, Node's import() of anything — a built-in or one of
// the bundles beside main.cjs — first starts its ES module loader (~10 ms), then scans a
// CommonJS file for its exports, and for node:http reads every export, which loads undici.
const supported = { 'dynamic-import': false };
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  supported,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};
await build({
  ...common,
  plugins: [flashApart, lintApart, pgApart, markerApart, pagePlugin('./page.cjs')],
  entryPoints: { serve: 'src/serve/index.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  define: { HUTCTL_VERSION: JSON.stringify(pkg.version) },
});
await build({
  ...common,
  entryPoints: {
    flash: 'src/flash/index.ts',
    lint: 'src/docs/lint.ts',
    pg: 'pg',
    marker: 'src/hil/marker.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
});
// The dashboard (HTML, CSS and the bundled page script with xterm.js, ~400 KB of strings) is
// loaded only by `serve`.
writeFileSync('dist/page.cjs', await pageModule());
await build({
  plugins: [flashApart, serveApart, lintApart, pgApart, markerApart],
  entryPoints: { main: 'src/cli/bin.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  // CommonJS: each module requires its Node built-ins when it first runs, instead of all of
  // them being loaded up front as an ES module's static imports would be.
  format: 'cjs',
  target: 'node22',
  supported,
  define: { HUTCTL_VERSION: JSON.stringify(pkg.version) },
  // A third smaller to read and deserialize on every call (~4 % of `job run`); names are kept,
  // so a --debug stack trace still says which function.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
// The entry answers --version before anything is loaded, and turns on V8's compile cache
// before the bundle is parsed.
// It also refuses a Node.js older than package.json's engines, in one line, before anything
// else could fail in a less helpful way.
const [needMajor, needMinor] = pkg.engines.node.replace(/^>=/, '').split('.').map(Number);
const entry = `#!/usr/bin/env node
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < ${needMajor} || (major === ${needMajor} && minor < ${needMinor})) {
  process.stderr.write('hutctl: needs Node.js ${needMajor}.${needMinor} or later; this is Node.js ' + process.versions.node + ' (' + process.execPath + ')\\n  install Node.js 22 or 24 (see https://github.com/hutctl/hutctl/blob/main/docs/install.md), or use the hutctl single executable or .deb, which need no Node.js\\n');
  process.exit(1);
} else if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  process.stdout.write(${JSON.stringify(`${pkg.version}\n`)});
} else {
  require('node:module').enableCompileCache?.();
  require('./main.cjs');
}
`;
writeFileSync('dist/hutctl.cjs', entry);
chmodSync('dist/hutctl.cjs', 0o755);
