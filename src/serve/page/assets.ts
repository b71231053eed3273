/**
 * The dashboard's files. The build (scripts/build.mjs, scripts/package.mjs) puts the bundled
 * page into hutctl itself, so an installed hutctl — npm, .deb or the single executable — serves
 * it with no files beside it; run from source, the page is bundled here on first request.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface PageAssets {
  html: string;
  js: string;
  css: string;
}

let built: Promise<PageAssets> | null = null;

export function pageAssets(): Promise<PageAssets> {
  built ??= bundle();
  return built;
}

async function bundle(): Promise<PageAssets> {
  const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [here('app.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  const xterm = fileURLToPath(import.meta.resolve('@xterm/xterm/css/xterm.css'));
  return {
    html: await readFile(here('index.html'), 'utf8'),
    js: out.outputFiles[0]!.text,
    css: `${await readFile(xterm, 'utf8')}\n${await readFile(here('app.css'), 'utf8')}`,
  };
}
