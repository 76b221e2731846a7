// Lint: typescript-eslint's recommended rules at zero warnings, plus the import boundaries of
// docs/architecture.md: ingest and metrics → infra; dashboards → metrics, infra; transforms → infra;
// sample → ingest (the event types), infra; nothing but the CLI (the composition root) imports several of
// them, and nothing imports the CLI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const folders = ['infra', 'ingest', 'transforms', 'metrics', 'dashboards', 'sample', 'cli'];
/** What each folder may import from the project. */
const allowed = {
  infra: [],
  ingest: ['infra'],
  transforms: ['infra'],
  metrics: ['infra'],
  dashboards: ['metrics', 'infra'],
  sample: ['ingest', 'infra'],
};
/** Packages a folder must not use (e.g. only ingest talks to Kafka). */
const forbiddenPackages = {
  metrics: ['kafkajs'],
  dashboards: ['kafkajs'],
  transforms: ['kafkajs', 'express'],
  sample: ['kafkajs', 'express'],
};

const boundaries = Object.entries(allowed).map(([folder, ok]) => ({
  files: [`${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...folders
            .filter((f) => f !== folder && !ok.includes(f))
            .map((f) => ({
              group: [`../${f}/*`, `../../${f}/*`, `../${f}`, `../../${f}`],
              message: `${folder}/ must not import ${f}/ (see ${folder}/README.md)`,
            })),
        ],
        paths: (forbiddenPackages[folder] ?? []).map((name) => ({
          name,
          message: `${folder}/ must not use ${name}`,
        })),
      },
    ],
  },
}));

/**
 * Inside dashboards/: the browser code (`web/`, bundled by esbuild) may import only its own files, the
 * charts, the wire types and the contract's vocabulary (`ingest/vocabulary.ts`, the one module of
 * another folder it may import); the charts only the wire types; the wire types only the vocabulary,
 * and the vocabulary nothing. `up` is the way from a file's folder back to `dashboards/web/`.
 */
const BROWSER_TARGETS = 'charts/[\\w-]+\\.ts$|wire\\.ts$|\\.\\./ingest/vocabulary\\.ts$';
const noNode = { regex: '^node:', message: 'code that runs in the browser must not use Node modules' };
const browserCode = (files, up) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          noNode,
          {
            regex: `^${up}\\.\\./(?!${BROWSER_TARGETS})`,
            message:
              'dashboards/web/ may import only charts/, wire.ts and ingest/vocabulary.ts (see dashboards/README.md)',
          },
        ],
      },
    ],
  },
});
const insideDashboards = [
  browserCode(['dashboards/web/*.ts'], ''),
  browserCode(['dashboards/web/pages/*.ts'], '\\.\\./'),
  {
    files: ['dashboards/charts/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noNode,
            {
              regex: '^\\.\\./(?!wire\\.ts$)',
              message: 'dashboards/charts/ may import only ../wire.ts (pure, shared by browser and server)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['dashboards/wire.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\.\\./ingest/vocabulary\\.ts$)',
              message: 'dashboards/wire.ts holds types only; it may import only ingest/vocabulary.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['ingest/vocabulary.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '.', message: 'ingest/vocabulary.ts is imported by the browser: no imports' }],
        },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', '.cache/', '.data/', 'scratch/', 'bench/results/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        TextDecoder: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'error',
    },
  },
  { files: ['test/**', 'bench/**', 'scripts/**'], rules: { 'no-console': 'off' } },
  ...boundaries,
  ...insideDashboards,
  // One idea per file and functions a reader can hold at once; sample/ keeps to it.
  {
    files: ['sample/**/*.ts'],
    rules: { 'max-lines': ['error', 500], 'max-lines-per-function': ['error', 80] },
  },
);
