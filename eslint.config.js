// Lint: typescript-eslint's recommended rules at zero warnings, plus the import boundaries of
// design/ARCHITECTURE.md: ingest and metrics → infra; dashboards → metrics, infra; transforms → infra;
// nothing but the CLI (the composition root) imports several of them, and nothing imports the CLI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const folders = ['infra', 'ingest', 'transforms', 'metrics', 'dashboards', 'cli'];
/** What each folder may import from the project. */
const allowed = {
  infra: [],
  ingest: ['infra'],
  transforms: ['infra'],
  metrics: ['infra'],
  dashboards: ['metrics', 'infra'],
};
/** Packages a folder must not use (e.g. only ingest talks to Kafka). */
const forbiddenPackages = {
  metrics: ['kafkajs'],
  dashboards: ['kafkajs'],
  transforms: ['kafkajs', 'express'],
};

/** The import patterns that keep `folder` off the folders it may not import. */
const folderPatterns = (folder) =>
  folders
    .filter((f) => f !== folder && !(allowed[folder] ?? []).includes(f))
    .map((f) => ({
      group: [`../${f}/*`, `../../${f}/*`, `../${f}`, `../../${f}`],
      message: `${folder}/ must not import ${f}/ (see ${folder}/README.md)`,
    }));

const boundaries = Object.keys(allowed).map((folder) => ({
  files: [`${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: folderPatterns(folder),
        paths: (forbiddenPackages[folder] ?? []).map((name) => ({
          name,
          message: `${folder}/ must not use ${name}`,
        })),
      },
    ],
  },
}));

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
        setInterval: 'readonly',
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
  // Inside infra/ (infra/README.md): the configuration sections and the pure helpers (time, CSV) import
  // none of the I/O plumbing; no file over 500 lines, no function over 80.
  {
    files: ['infra/config/**/*.ts', 'infra/time.ts', 'infra/csv.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...folderPatterns('infra'),
            ...['kafka/*', 'clickhouse*', 'store-lock*', 'logger*', 'metrics*'].map((m) => ({
              group: [`./${m}`, `../${m}`],
              message: 'infra/config/, time.ts and csv.ts are pure: no Kafka, ClickHouse, logs or metrics',
            })),
          ],
        },
      ],
    },
  },
  {
    files: ['infra/**/*.ts', 'infra/**/*.mjs'],
    rules: {
      'max-lines': ['error', { max: 500 }],
      'max-lines-per-function': ['error', { max: 80 }],
    },
  },
);
