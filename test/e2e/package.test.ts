// The .vsix that `npm run package` made (scripts/test-e2e.mjs) holds only what users need and stays small.
import * as assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { DEFAULT_VSIX } from './support/workbench';
import { listZip, readZipText } from './support/vsix';

const VSIX = process.env.RMQWB_VSIX ?? DEFAULT_VSIX;
const MAX_BYTES = 2 * 1024 * 1024;

/** What may ship, relative to extension/ in the vsix. */
const ALLOWED = [
  /^package\.json$/, /^package\.nls(\.[\w-]+)?\.json$/, /^readme\.md$/i, /^changelog\.md$/i, /^LICENSE(\.txt)?$/,
  /^dist\/extension\.js$/, /^dist\/(requestFiles|faker|mcp)\.js$/, /^syntaxes\/[\w.-]+\.json$/, /^dist\/webview\/[\w./-]+\.(js|css|ttf)$/, /^media\/[\w.-]+\.(svg|png|css)$/, /^media\/walkthrough\/[\w.-]+\.md$/,
  /^snippets\/[\w.-]+\.json$/, /^l10n\/bundle\.l10n(\.[\w-]+)?\.json$/,
];

describe('e2e: package', () => {
  const names = () => listZip(VSIX).map((e) => e.name).filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));

  it(`is at most ${MAX_BYTES / 1024 / 1024} MB`, () => {
    const size = statSync(VSIX).size;
    assert.ok(size <= MAX_BYTES, `${VSIX} is ${(size / 1024 / 1024).toFixed(2)} MB`);
  });

  it('holds the bundle, manifest, translations, icon, README, CHANGELOG and LICENSE', () => {
    const have = new Set(names());
    const required = ['package.json', 'package.nls.json', 'package.nls.zh-cn.json', 'dist/extension.js', 'dist/requestFiles.js', 'dist/faker.js', 'dist/mcp.js', 'syntaxes/rabbitmq.tmLanguage.json', 'syntaxes/rabbitmq.language-configuration.json', 'media/rabbitmq-file.svg', 'l10n/bundle.l10n.zh-cn.json',
      'media/icon.png', 'media/rabbitmq.svg', 'readme.md', 'changelog.md', 'LICENSE.txt'];
    assert.deepEqual(required.filter((f) => !have.has(f)), []);
  });

  it('holds nothing else: no sources, tests, source maps or node_modules', () => {
    const extra = names().filter((n) => !ALLOWED.some((re) => re.test(n)));
    assert.deepEqual(extra, []);
  });

  it('ships every walkthrough page the manifest names', () => {
    const manifest = JSON.parse(readZipText(VSIX, 'extension/package.json') ?? '{}') as { contributes?: { walkthroughs?: { steps: { media?: { markdown?: string } }[] }[] } };
    const pages = (manifest.contributes?.walkthroughs ?? []).flatMap((w) => w.steps.map((s) => s.media?.markdown)).filter((m): m is string => !!m);
    assert.ok(pages.length > 0, 'no walkthrough pages in the manifest');
    const have = new Set(names());
    assert.deepEqual(pages.filter((m) => !have.has(m.replace(/^\.\//, ''))), []);
  });

  it('ships the production bundle and a manifest whose icon and main are in the package', () => {
    const manifest = JSON.parse(readZipText(VSIX, 'extension/package.json') ?? '{}') as { main?: string; icon?: string };
    const have = new Set(names());
    assert.ok(manifest.main && have.has(manifest.main.replace(/^\.\//, '')), `main ${manifest.main} is not in the package`);
    assert.ok(manifest.icon && have.has(manifest.icon), `icon ${manifest.icon} is not in the package`);
    const bundle = readZipText(VSIX, 'extension/dist/extension.js') ?? '';
    assert.doesNotMatch(bundle, /sourceMappingURL/, 'the packaged bundle points at a source map');
  });
});
