// One ESLint flat config for the whole monorepo: typescript-eslint's type-checked rules,
// consistent type imports, and purity fences around the engine.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/.reins/**', '**/coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The engine is pure and synchronous: no I/O, no clock, no randomness, no Node built-ins.
    files: ['packages/engine/src/**/*.ts'],
    ignores: ['packages/engine/src/**/*.test.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The engine is pure: no Node built-ins.' },
            {
              group: ['@mikro-orm/*', '@trpc/*', 'fastify', 'pg'],
              message: 'The engine does no I/O.',
            },
          ],
          paths: ['fs', 'path', 'crypto', 'os', 'http', 'https', 'child_process', 'process'].map(
            (name) => ({
              name,
              message: 'The engine is pure: no Node built-ins.',
            }),
          ),
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The engine reads no environment.' },
        { name: 'setTimeout', message: 'The engine is synchronous.' },
        { name: 'setInterval', message: 'The engine is synchronous.' },
        { name: 'fetch', message: 'The engine does no I/O.' },
        { name: 'performance', message: 'The engine has no clock: now is a parameter.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'No clock in the engine: now is a parameter.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'No clock in the engine: now is a parameter.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'The engine is deterministic.',
        },
        {
          selector:
            'FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]',
          message: 'The engine is synchronous.',
        },
        {
          selector: "CallExpression[callee.property.name='toLocaleString']",
          message: 'No locale-dependent formatting in the engine.',
        },
      ],
    },
  },
  {
    // The dashboard's boot script, served as is: browser globals.
    files: ['apps/web/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The dashboard: React's rules of hooks, browser globals, and no Node in the browser code
    // (its tsconfig has Node types only to check the server's router type).
    files: ['apps/web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Browser code: no Node built-ins.' },
            {
              group: ['@reins/server', '@reins/server/*'],
              allowTypeImports: true,
              message: 'The browser imports only the server router type (import type).',
            },
          ],
          paths: ['@reins/engine', '@reins/engine/vectors'].map((name) => ({
            name,
            message: 'Import the engine through @reins/engine/schemas (no price table).',
          })),
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Browser code: no process.' },
        { name: 'Buffer', message: 'Browser code: no Buffer.' },
      ],
    },
  },
  prettier,
);
