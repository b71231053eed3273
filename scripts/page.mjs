// The dashboard page, bundled at build time: the browser script (with xterm.js), its CSS and
// the HTML become one CommonJS module of strings, so hutctl serves the page with no files
// beside it (an npm install, the .deb and the single executable alike).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

/** The page's files: the HTML, the bundled script, the CSS (xterm.js's and the page's own). */
export async function buildPage() {
  const out = await build({
    entryPoints: [`${root}src/serve/page/app.ts`],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  return {
    html: readFileSync(`${root}src/serve/page/index.html`, 'utf8'),
    js: out.outputFiles[0].text,
    css: `${readFileSync(`${root}node_modules/@xterm/xterm/css/xterm.css`, 'utf8')}\n${readFileSync(`${root}src/serve/page/app.css`, 'utf8')}`,
  };
}

/** The source of a module exporting `pageAssets()`, which resolves to the page's files. */
export async function pageModule() {
  const assets = await buildPage();
  return `const assets = ${JSON.stringify(assets)};\nexports.pageAssets = () => Promise.resolve(assets);\n`;
}

/**
 * Resolves the page module (`src/serve/page/assets.ts`) to `external` — a file of its own
 * beside the bundle — or, when null, to the built strings themselves (inlined).
 */
export function pagePlugin(external) {
  return {
    name: 'page-assets',
    setup(b) {
      b.onResolve({ filter: /[/\\]page[/\\]assets\.ts$/ }, () =>
        external ? { path: external, external: true } : { path: 'page-assets', namespace: 'page' },
      );
      b.onLoad({ filter: /.*/, namespace: 'page' }, async () => ({
        contents: await pageModule(),
        loader: 'js',
      }));
    },
  };
}
