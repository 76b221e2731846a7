/** The KPI benchmark's report: the markdown written to bench/results/kpi-latest.md. */
import { machineText } from '../common/machine.ts';
import { fmt, row as mdRow, tableHead } from '../common/numbers.ts';
import { DEEP, FROM, OVERVIEW, SINGLE, TO, type NResult, type Timing } from './spec.ts';

const find = (ts: Timing[], name: string) => ts.find((t) => t.name === name);
const perN = (rs: NResult[]) => rs.map((r) => `N=${fmt(r.interactions)}`);

/** The report of the results `rs` (one column per N), as printed and written to kpi-latest.md. */
export function markdown(startedAt: string, mach: Record<string, string | number>, rs: NResult[]): string {
  const engine = rs[0]?.engineVersion ?? 'unknown';
  const L: string[] = [`### KPI query latency, ${startedAt}`, ''];
  L.push(
    `${machineText(mach)}; ` +
      `chdb ${mach['chdbPackage']} (engine ${engine}). Data: 365 days, 7 channels, 8 categories, N/20 customers, ` +
      `6 teams, 60 agents, 0.3 surveys per interaction; queries over ${FROM}..${TO} (90 days). ` +
      `Times in ms, end to end through \`computeMetric\` (build + chDB + JSON + shaping), after warm-ups.`,
    '',
  );
  L.push(...timings(rs), '', '(n) = timed runs; p95 of fewer than 20 runs is close to the maximum.', '');
  L.push(...speedups(rs), ...loadAndMemory(rs));
  return L.join('\n') + '\n';
}

/** p50 / p95 (runs) of every query, one row each. */
function timings(rs: NResult[]): string[] {
  const L = tableHead(['query', ...rs.map((r) => `N=${fmt(r.interactions)} p50 / p95`)]);
  const row = (label: string, pick: (r: NResult) => Timing | undefined) => {
    const cells = rs.map((r) => {
      const t = pick(r);
      return t ? `${fmt(t.p50)} / ${fmt(t.p95)} (${t.runs})` : '–';
    });
    L.push(mdRow([label, ...cells]));
  };
  for (const name of SINGLE) {
    row(`**(a) ${name}, day × channel, rollups**`, (r) => find(r.single, `${name} rollup`));
    row(`  (a) ${name}, day × channel, stored facts`, (r) => find(r.single, `${name} facts`));
    row(`  (r) ${name}, day × channel, raw (no rollups)`, (r) => find(r.raw, `${name} raw`));
  }
  for (const [label, , by] of DEEP) {
    const what = `${label.split(' ')[0]}, day × ${by.map((d) => d.replace('_id', '')).join(' × ')}`;
    row(`**(a) ${what}, as the API answers (auto)**`, (r) => find(r.single, `${label} rollup`));
    row(`  (a) ${what}, stored facts`, (r) => find(r.single, `${label} facts`));
  }
  row('**(b) overview API: 8 KPIs × (period, previous period, weekly trend)**', (r) => r.overviewApi);
  row('(b) overview: 8 KPIs, week, one request each, sequential', (r) => r.overview);
  for (const name of OVERVIEW)
    row(`  (b) ${name}, week (within the overview runs)`, (r) =>
      r.overviewPerKpi.find((t) => t.name.startsWith(name)),
    );
  const withBreakdown = rs.find((r) => r.breakdown.length > 0);
  for (let i = 0; i < (withBreakdown?.breakdown.length ?? 0); i++)
    row(`${i === 0 ? '' : 'facts path: '}${withBreakdown?.breakdown[i]?.name ?? ''}`, (r) => r.breakdown[i]);
  return L;
}

/** Raw p50 ÷ rollup p50 of each single metric, when the raw path (r) ran. */
function speedups(rs: NResult[]): string[] {
  const L: string[] = [];
  const withRaw = rs.filter((r) => r.raw.length > 0);
  if (withRaw.length > 0) {
    L.push(...tableHead(['rollup speed-up (raw p50 ÷ rollup p50)', ...perN(withRaw)]));
    for (const name of SINGLE)
      L.push(
        `| ${name} | ${withRaw
          .map((r) => {
            const a = find(r.raw, `${name} raw`);
            const b = find(r.single, `${name} rollup`);
            return a && b ? `${fmt(a.p50 / b.p50)}×` : '–';
          })
          .join(' | ')} |`,
      );
    L.push('');
  }
  return L;
}

/** The load, the refreshes and memory, one row each. */
function loadAndMemory(rs: NResult[]): string[] {
  const L = tableHead(['load and memory', ...perN(rs)]);
  const r2 = (label: string, f: (r: NResult) => string) => L.push(mdRow([label, ...rs.map(f)]));
  r2('interaction_events rows', (r) => fmt(r.load.rows['interaction_events'] ?? 0));
  r2(
    'survey_events / customer_events rows',
    (r) => `${fmt(r.load.rows['survey_events'] ?? 0)} / ${fmt(r.load.rows['customer_events'] ?? 0)}`,
  );
  r2(
    'load s (interactions + MV / surveys / customers)',
    (r) =>
      `${fmt(r.load.seconds, 1)} (${fmt(r.load.interactionSeconds, 1)} / ${fmt(r.load.surveySeconds, 1)} / ${fmt(r.load.customerSeconds, 1)})`,
  );
  r2('interaction events/s loaded', (r) =>
    fmt((r.load.rows['interaction_events'] ?? 0) / r.load.interactionSeconds),
  );
  r2(
    'interaction_facts rows before → after OPTIMIZE',
    (r) =>
      `${fmt(r.load.rows['interaction_facts'] ?? 0)} → ${fmt(r.load.rows['interaction_facts_after_optimize'] ?? 0)}`,
  );
  r2(
    'OPTIMIZE FINAL s (interaction_facts / customer_facts / survey_events)',
    (r) =>
      `${fmt(r.optimize['interaction_facts'] ?? 0, 1)} / ${fmt(r.optimize['customer_facts'] ?? 0, 1)} / ${fmt(r.optimize['survey_events'] ?? 0, 1)}`,
  );
  r2(
    'disk MiB (interaction_events / interaction_facts)',
    (r) => `${fmt(r.disk['interaction_events'] ?? 0)} / ${fmt(r.disk['interaction_facts'] ?? 0)}`,
  );
  r2('full rollup refresh s (interactions / surveys / customers written, days)', (r) =>
    r.refresh
      ? `${fmt(r.refresh.full.seconds, 1)} (${fmt(r.refresh.full.interactionsRewritten)} / ${fmt(r.refresh.full.surveysRewritten)} / ${fmt(r.refresh.full.customersRewritten)}, ${r.refresh.full.daysRebuilt})`
      : '–',
  );
  r2('kpi_daily after the full refresh: rows, MiB (rows with quantile histograms)', (r) =>
    r.rollupStorage
      ? `${fmt(r.rollupStorage.rows)}, ${fmt(r.rollupStorage.mib, 1)} (${fmt(r.rollupStorage.quantileRows)})`
      : '–',
  );
  r2('(k) keep-up: events appended (interactions, customers touched)', (r) =>
    r.refresh?.keepUp
      ? `${fmt(r.refresh.keepUp.events)} (${fmt(r.refresh.keepUp.interactions)}, ${fmt(r.refresh.keepUp.customers)})`
      : '–',
  );
  r2('(k) incremental refresh s (interactions rewritten, days rebuilt)', (r) =>
    r.refresh?.keepUp
      ? `${fmt(r.refresh.keepUp.seconds, 1)} (${fmt(r.refresh.keepUp.interactionsRewritten)}, ${r.refresh.keepUp.daysRebuilt})`
      : '–',
  );
  r2('(k) events/s the refresh absorbs', (r) =>
    r.refresh?.keepUp ? fmt(r.refresh.keepUp.events / r.refresh.keepUp.seconds) : '–',
  );
  r2('(d) peak RSS MiB (whole process, incl. load)', (r) => fmt(r.peakRssMiB));
  r2('(d) max RSS MiB during the queries (sampled 100 ms)', (r) => fmt(r.queryPhaseRssMiB));
  r2('run s (this N)', (r) => fmt(r.seconds));
  return L;
}
