#!/usr/bin/env node
// Builds the hutctl command: type-check with tsc, then bundle with esbuild into dist/.
// One bundle loads in a fraction of the time of ~150 separate ES modules (zod alone is ~100),
// and a CLI called from CI scripts pays its start-up on every call.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

try {
  execFileSync('node_modules/.bin/tsc', ['-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
} catch {
  process.exit(1); // tsc has printed the errors
}
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  define: { HUTCTL_VERSION: JSON.stringify(pkg.version) },
  // commander is CommonJS and requires Node built-ins.
  banner: {
    js: "import { createRequire as __hutctlRequire } from 'node:module'; const require = __hutctlRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
// The entry enables V8's compile cache before the bundle is parsed.
writeFileSync(
  'dist/hutctl.js',
  `#!/usr/bin/env node
if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  process.stdout.write(${JSON.stringify(`${pkg.version}
`)});
} else {
  const { default: module } = await import('node:module');
  module.enableCompileCache?.();
  await import('./main.js');
}
`,
);
chmodSync('dist/hutctl.js', 0o755);
