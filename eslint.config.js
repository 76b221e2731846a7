// Lint: typescript-eslint's recommended rules at zero warnings, plus the import boundaries of
// docs/architecture.md: ingest and metrics → infra; transforms → metrics (its pure parts), infra;
// dashboards → metrics, infra, alerts (the alerts API); alerts → metrics, infra; sample → ingest (the event types), infra; nothing but the CLI (the
// composition root) imports several of them, and nothing imports the CLI. Inside a folder, `areas` gives
// the rooms of a folder an order of their own (see metrics/README.md); together the two keep the import
// graph one-way.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const folders = ['i18n', 'infra', 'ingest', 'transforms', 'metrics', 'dashboards', 'sample', 'alerts', 'cli'];
/** What each folder may import from the project. */
const allowed = {
  i18n: [],
  infra: ['i18n'],
  ingest: ['infra', 'i18n'],
  transforms: ['infra', 'metrics', 'i18n'],
  metrics: ['infra', 'i18n'],
  dashboards: ['metrics', 'infra', 'i18n', 'alerts'],
  alerts: ['metrics', 'infra', 'i18n'],
  sample: ['ingest', 'infra', 'i18n'],
};
/** Packages a folder must not use (e.g. only ingest talks to Kafka). */
const forbiddenPackages = {
  metrics: ['kafkajs'],
  dashboards: ['kafkajs'],
  alerts: ['kafkajs', 'express'],
  transforms: ['kafkajs', 'express'],
  sample: ['kafkajs', 'express'],
};

/**
 * Rooms inside a folder, in import order: the files of a room (`files`, `ignores`) must not import the
 * rooms named in `not` (paths relative to the folder), so the rooms form a chain and cannot cycle.
 */
const areas = {
  metrics: [
    {
      // the definitions and statistics: what a KPI is, how sure a number is
      files: ['metrics/*.ts', 'metrics/catalog/**/*.ts', 'metrics/stats/**/*.ts'],
      not: ['query', 'analysis', 'answer'],
    },
    // the query builder and the request: pure, never runs a query
    { files: ['metrics/query/**/*.ts'], not: ['analysis', 'answer'] },
    // statistics over answers (before/after, control charts, retention features): pure
    { files: ['metrics/analysis/**/*.ts'], not: ['answer'] },
    // targets and the standards' clauses, and their evaluation: pure
    { files: ['metrics/targets/**/*.ts', 'metrics/standards/**/*.ts'], not: ['answer'] },
  ],
  // the jobs that write derived tables read only the pure parts of metrics/, never its readers
  transforms: [{ files: ['transforms/**/*.ts'], outside: { metrics: ['answer'] } }],
  // the HTTP routes are the server's outer layer: the CLI mounts them, nothing inside dashboards/ imports
  // them (the browser side, charts/ and wire.ts have narrower rules below)
  dashboards: [
    {
      files: ['dashboards/*.ts', 'dashboards/reports/**/*.ts'],
      ignores: ['dashboards/wire.ts'],
      not: ['routes'],
    },
  ],
};

/** The import patterns a file of `folder` must not use: other folders, and the rooms of `room`. */
function restricted(folder, room) {
  const ok = allowed[folder] ?? [];
  const rel = (p) => [`./${p}/*`, `../${p}/*`, `../../${p}/*`, `../../../${p}/*`];
  return [
    ...folders
      .filter((f) => f !== folder && !ok.includes(f))
      .map((f) => ({
        group: [`../${f}/*`, `../../${f}/*`, `../../../${f}/*`, `../${f}`, `../../${f}`],
        message: `${folder}/ must not import ${f}/ (see ${folder}/README.md)`,
      })),
    ...(room?.not ?? []).map((r) => ({
      group: rel(r),
      message: `${room.files[0]} must not import ${folder}/${r}/ (see ${folder}/README.md)`,
    })),
    ...Object.entries(room?.outside ?? {}).flatMap(([f, rs]) =>
      rs.map((r) => ({
        group: rel(`${f}/${r}`),
        message: `${folder}/ must not import ${f}/${r}/ (see ${folder}/README.md)`,
      })),
    ),
  ];
}

const rule = (folder, room) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: restricted(folder, room),
      paths: (forbiddenPackages[folder] ?? []).map((name) => ({
        name,
        message: `${folder}/ must not use ${name}`,
      })),
    },
  ],
});

const boundaries = Object.keys(allowed).flatMap((folder) => [
  { files: [`${folder}/**/*.ts`], rules: rule(folder) },
  ...(areas[folder] ?? []).map((room) => ({
    files: room.files,
    ...(room.ignores ? { ignores: room.ignores } : {}),
    rules: rule(folder, room),
  })),
]);

/** One idea per file (≤ 500 lines) and functions a reader can hold at once (≤ 80 lines). */
const sized = {
  files: [
    'i18n/**/*.ts',
    'infra/**/*.ts',
    'infra/**/*.mjs',
    'ingest/**/*.ts',
    'metrics/**/*.ts',
    'transforms/**/*.ts',
    'sample/**/*.ts',
    'cli/**/*.ts',
    'dashboards/**/*.ts',
    'alerts/**/*.ts',
    'bench/**/*.ts',
  ],
  rules: {
    'max-lines': ['error', { max: 500 }],
    'max-lines-per-function': ['error', { max: 80 }],
  },
};

/**
 * Inside dashboards/: the browser code (`web/`, bundled by esbuild) may import only its own files, the
 * charts, the wire types, the requests a page URL makes (`page-requests.ts`, pure), the contract's vocabulary (`ingest/vocabulary.ts`) and the date helpers
 * (`infra/time.ts`, pure: `Intl` only) — the modules of other folders it may import; the charts only the wire types; the wire types only the vocabulary,
 * and the vocabulary nothing. `up` is the way from a file's folder back to `dashboards/web/`.
 */
const BROWSER_TARGETS =
  'charts/[\\w-]+\\.ts$|wire\\.ts$|page-requests\\.ts$|\\.\\./ingest/vocabulary\\.ts$|\\.\\./infra/time\\.ts$|\\.\\./i18n/[\\w-]+\\.ts$';
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
              'dashboards/web/ may import only charts/, wire.ts, page-requests.ts, ingest/vocabulary.ts and infra/time.ts (see dashboards/README.md)',
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
              regex: '^\\.\\./(?!wire\\.ts$|\\.\\./i18n/[\\w-]+\\.ts$)',
              message:
                'dashboards/charts/ may import only ../wire.ts and ../../i18n/ (pure, shared by browser and server)',
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

/**
 * Inside bench/: the shared pieces (`bench/common/`) import only Node and each other, and one benchmark's
 * parts (`bench/ingest/`, `bench/kpi/`) do not import another's. Benchmarks may import any project folder.
 */
const benchOnly = (files, regex, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ regex, message }] }] },
});
const insideBench = [
  benchOnly(
    ['bench/common/**/*.ts'],
    '^\\.\\./',
    'bench/common/ imports only Node and its own files (see bench/common/README.md)',
  ),
  benchOnly(
    ['bench/ingest/**/*.ts'],
    '^\\.\\./kpi/',
    'bench/ingest/ must not import bench/kpi/ (see bench/ingest/README.md)',
  ),
  benchOnly(
    ['bench/kpi/**/*.ts'],
    '^\\.\\./ingest/',
    'bench/kpi/ must not import bench/ingest/ (see bench/kpi/README.md)',
  ),
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
  ...insideDashboards,
  // Inside infra/ (infra/README.md): the configuration sections and the pure helpers (time, CSV) import
  // none of the I/O plumbing.
  {
    files: ['infra/config/**/*.ts', 'infra/time.ts', 'infra/csv.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...restricted('infra'),
            ...['kafka/*', 'clickhouse*', 'store-lock*', 'logger*', 'metrics*'].map((m) => ({
              group: [`./${m}`, `../${m}`],
              message: 'infra/config/, time.ts and csv.ts are pure: no Kafka, ClickHouse, logs or metrics',
            })),
          ],
        },
      ],
    },
  },
  ...insideBench,
  sized,
);
