#!/usr/bin/env node
// Bundles the dashboard: src/main.jsx (and the CSS it imports) → <outdir>/ with content-hashed
// names (main-<hash>.js, main-<hash>.css, their source maps and licence texts), then writes
// <outdir>/index.html referencing them and a favicon. index.html keeps its name (the gateway
// serves it at /, not to be cached long); every other file's name changes with its content.
//
//   node build.mjs [--outdir=dist] [--dev]
//
// Runs under Node 18.20 (Debian 12) and later; needs only esbuild from node_modules.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}`);
    return [m[1], m[2] ?? true];
  }),
);
const outdir = resolve(here, typeof args.outdir === 'string' ? args.outdir : 'dist');
const dev = !!args.dev;

// A stale hashed file must not survive a rebuild.
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const entry = join(here, 'src', 'main.jsx');
const result = await build({
  absWorkingDir: here,
  entryPoints: [entry],
  bundle: true,
  outdir,
  entryNames: '[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  format: 'esm',
  platform: 'browser',
  target: ['chrome109', 'firefox115', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !dev,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  charset: 'utf8',
  define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
  logLevel: 'warning',
});

const entryRel = relative(here, entry);
let js = '';
let css = '';
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (out.entryPoint && resolve(here, out.entryPoint) === resolve(here, entryRel)) {
    js = basename(file);
    if (out.cssBundle) css = basename(out.cssBundle);
  }
}
if (!js) throw new Error('esbuild produced no bundle for src/main.jsx');

const favicon =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="6" fill="#0f172a"/>' +
  '<path d="M16 6v10l7 4" stroke="#f59e0b" stroke-width="3" fill="none" stroke-linecap="round"/>' +
  '<circle cx="16" cy="16" r="11" stroke="#e5e7eb" stroke-width="2" fill="none"/></svg>\n';
writeFileSync(join(outdir, 'favicon.svg'), favicon);

// Relative references: the page works wherever the gateway mounts it. No inline script or
// style, so a Content-Security-Policy of default-src 'self' holds.
const html = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>物业投诉派单 · 值班看板</title>
<link rel="icon" href="./favicon.svg" type="image/svg+xml">
${css ? `<link rel="stylesheet" href="./${css}">\n` : ''}<script type="module" src="./${js}"></script>
</head>
<body>
<div id="app"></div>
<noscript>本页面需要启用 JavaScript。</noscript>
</body>
</html>
`;
writeFileSync(join(outdir, 'index.html'), html);

// The licences of the packages bundled (MIT: their notices must travel with the code).
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) packages.add(m[1]);
}
let notices = '';
for (const name of [...packages].sort()) {
  const dir = join(here, 'node_modules', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licence = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  notices += `${name} ${pkg.version} (${pkg.license ?? 'see below'})\n\n`;
  notices += licence ? readFileSync(join(dir, licence), 'utf8').trim() : '(no licence file in the package)';
  notices += '\n\n' + '-'.repeat(72) + '\n\n';
}
writeFileSync(join(outdir, 'THIRD_PARTY_LICENSES.txt'), notices);

const files = Object.keys(result.metafile.outputs).map((f) => relative(outdir, resolve(here, f)));
console.log(`dashboard built into ${outdir}: index.html, favicon.svg, THIRD_PARTY_LICENSES.txt (${[...packages].join(', ')}), ${files.sort().join(', ')}`);
