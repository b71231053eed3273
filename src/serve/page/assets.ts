/**
 * The dashboard's files. The build (scripts/build.mjs, scripts/package.mjs) puts the bundled
 * page into hutctl itself, so an installed hutctl — npm, .deb or the single executable — serves
 * it with no files beside it; run from source, the page is bundled here on first request.
 */

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
  // The same bundling as the build's (scripts/page.mjs), run here from source.
  const script = new URL('../../../scripts/page.mjs', import.meta.url).href;
  const { buildPage } = (await import(script)) as { buildPage(): Promise<PageAssets> };
  return buildPage();
}
