import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';
import { readFileSync } from 'node:fs';

const noVscode = (why) => ({ name: 'vscode', message: why });
const noNode = { group: ['node:*'], message: 'Page scripts run in the webview: no Node modules.' };
const noFocusedTests = [
  { selector: "CallExpression[callee.property.name='only']", message: 'No focused tests.' },
  { selector: "CallExpression[callee.property.name='skip']", message: 'No skipped tests.' },
];
// Our command ids, read from their one list: the extension names them through `Commands.*`, never as strings.
const commandIds = [...readFileSync(new URL('./src/platform/commandIds.ts', import.meta.url), 'utf8').matchAll(/'(rabbitmq\.\w+)'/g)].map((m) => m[1]);
const noCommandIdLiteral = {
  selector: `Literal[value=/^(${commandIds.map((id) => id.replace('.', '\\.')).join('|')})$/]`,
  message: 'Use Commands.* from src/platform/commandIds.ts instead of a command id string.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'node_modules/**', '.vscode-test/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    // Broker logic runs in plain Node (tests, benchmarks) as well as in the extension host.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode('src/core must stay editor-free.')],
        patterns: [{ group: ['**/features/**', '**/platform/**', '**/extension'], message: 'src/core is the bottom layer: it imports nothing from the editor side.' }],
      }],
    },
  },
  {
    // Webview protocols are imported by the page bundles; pure models are tested in plain Node.
    files: [
      'src/**/*Protocol.ts',
      'src/platform/webview/protocol.ts',
      'src/platform/commandIds.ts',
      'src/features/**/*Model.ts',
      'src/features/messaging/jsonl.ts',
      'src/features/messaging/publishInput.ts',
      'src/features/messaging/bulk.ts',
      'src/features/messaging/consumerAdapter.ts',
      'src/features/rpc/rpcRunner.ts',
      'src/features/requestFiles/example.ts',
      // Loaded on first use in its own bundle, which has no `vscode` external.
      'src/features/requestFiles/fakerBundle.mts',
    ],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode('Protocols and pure models stay editor-free (they run in pages and plain Node).')] }] },
  },
  {
    // The platform is what every feature uses: it knows no feature.
    files: ['src/platform/**/*.ts'],
    ignores: ['src/platform/commandIds.ts', 'src/platform/webview/protocol.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/features/**', '**/extension'], message: 'src/platform must not depend on a feature.' }] }] },
  },
  {
    files: ['media/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode('Page scripts talk to the extension through postMessage only.')], patterns: [noNode] }] },
  },
  {
    // No import cycles: a module and the modules it imports (not `import type`) form a tree, so each layer can be
    // loaded, tested and moved without the others.
    files: ['src/**/*.{ts,mts}', 'media/src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.mts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.node'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Plain CommonJS helpers (e.g. mocha reporters) load their dependencies with require().
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', ...noFocusedTests],
    },
  },
  {
    files: ['src/**/*.{ts,mts}'],
    ignores: ['src/platform/commandIds.ts'],
    rules: { 'no-restricted-syntax': ['error', ...noFocusedTests, noCommandIdLiteral] },
  },
);
