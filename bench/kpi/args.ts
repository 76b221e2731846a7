/** The KPI benchmark's command line. */

export interface Args {
  interactions: number[];
  runs: number;
  warmup: number;
  budgetS: number;
  chunk: number;
  minRuns: number;
  /** which measurements: a (single metrics), r (raw), b (overview), k (keep-up), c (breakdown) */
  parts: string[];
  keepupEvents: number;
  /** a data dir to reuse (one N only); kept */
  dir: string;
  /** rebuild the facts and rollups whole even when the reused dir's are current */
  refresh: boolean;
  /** earlier kpi-*.json results to show next to this run's in the table */
  include: string[];
  keep: boolean;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    interactions: [1_000_000],
    runs: 20,
    warmup: 2,
    budgetS: 25,
    chunk: 5_000_000,
    minRuns: 5,
    parts: ['a', 'b', 'k'],
    keepupEvents: 3_000_000,
    dir: '',
    refresh: false,
    include: [],
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1] ?? '';
    const int = (s: string) => {
      const n = Number(s.replaceAll('_', ''));
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${k}: expected a positive integer, got ${s}`);
      return n;
    };
    if (k === '--interactions') a.interactions = v.split(',').map(int);
    else if (k === '--runs') a.runs = int(v);
    else if (k === '--warmup') a.warmup = int(v);
    else if (k === '--budget-s') a.budgetS = int(v);
    else if (k === '--chunk') a.chunk = int(v);
    else if (k === '--min-runs') a.minRuns = int(v);
    else if (k === '--parts') a.parts = v.split(',');
    else if (k === '--keepup-events') a.keepupEvents = int(v);
    else if (k === '--dir') a.dir = v;
    else if (k === '--include') a.include = v.split(',');
    else if (k === '--keep' || k === '--refresh') {
      a[k === '--keep' ? 'keep' : 'refresh'] = true;
      continue;
    } else throw new Error(`unknown option ${k}`);
    i++;
  }
  return a;
}
