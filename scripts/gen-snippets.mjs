// Writes snippets/{python,javascript,typescript}.json from the one set of pattern templates in
// src/core/patterns.ts (the code generator uses the same templates). Run by scripts/build.mjs; also
// runnable alone: `node scripts/gen-snippets.mjs`. test/core/snippets.test.ts checks the files are current.
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function generateSnippets() {
  const result = await esbuild.build({
    entryPoints: [join(root, 'src/core/patterns.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'warning',
  });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', result.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
  const patterns = module.exports;
  mkdirSync(join(root, 'snippets'), { recursive: true });
  const written = [];
  for (const language of patterns.PATTERN_LANGUAGES) {
    const file = join(root, 'snippets', `${language}.json`);
    const text = patterns.snippetFileText(language);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    writeFileSync(file, text);
    written.push(file);
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = await generateSnippets();
  console.log(written.length ? `[gen-snippets] wrote ${written.join(', ')}` : '[gen-snippets] snippets are up to date');
}
