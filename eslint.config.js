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
);
