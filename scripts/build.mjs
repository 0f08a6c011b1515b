// One build for everything: the extension (node/cjs, vscode external), webview scripts (browser),
// and test/bench bundles (node, vscode external). `--production` minifies and drops source maps.
import * as esbuild from 'esbuild';
import { readdirSync, statSync, mkdirSync, copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

function find(dir, pred, out = []) {
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

const common = { bundle: true, logLevel: 'warning', sourcemap: !production, minify: production, legalComments: 'none' };

const configs = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
    metafile: true,
  },
  {
    // The request-file runtime: its own bundle, required when the first request file opens (not at activation).
    ...common,
    entryPoints: ['src/features/requestFiles/lazy.ts'],
    outfile: 'dist/requestFiles.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
  },
  {
    // The stdio MCP server (node dist/mcp.js): the agent tools for any MCP client; the editor starts it too.
    ...common,
    entryPoints: ['src/mcp/server.ts'],
    outfile: 'dist/mcp.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
  },
  {
    // faker for {{$faker …}} in request files: its own bundle, required on first use (never at activation).
    ...common,
    sourcemap: false,
    minify: true,
    entryPoints: ['src/features/requestFiles/fakerBundle.mts'],
    outfile: 'dist/faker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
  },
  {
    ...common,
    // Each page script is media/src/<feature>/<name>.page.ts and becomes dist/webview/<name>.js.
    entryPoints: Object.fromEntries(find('media/src', (p) => p.endsWith('.page.ts')).map((p) => [basename(p, '.page.ts'), p])),
    outdir: 'dist/webview',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
  },
];

if (!production) {
  const testEntries = [
    ...find('test', (p) => /\.test\.ts$/.test(p) || /\/(runner|index)\.ts$/.test(p)),
    ...find('bench', (p) => /\.bench\.ts$/.test(p)),
  ];
  configs.push({
    ...common,
    entryPoints: testEntries,
    outdir: 'dist-test',
    outbase: '.',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha', 'playwright-core', '@vscode/test-electron', 'esbuild'],
  });
}

// snippets/*.json from the pattern templates (src/core/patterns.ts).
await (await import('./gen-snippets.mjs')).generateSnippets();

// Codicons for webviews (font + css), copied next to the webview bundles.
mkdirSync('dist/webview/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/webview/codicons/${f}`);

const contexts = await Promise.all(configs.filter((c) => Object.keys(c.entryPoints).length > 0).map((c) => esbuild.context(c)));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[build] watching');
} else {
  for (const c of contexts) { await c.rebuild(); await c.dispose(); }
}
