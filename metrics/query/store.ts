import type { Config } from '../../infra/config.ts';
import type { MetricDefinition } from '../types.ts';
import { requestDimensions, type MetricRequest, type Store } from './request.ts';
import { rollupSetFor } from './rollup-sets.ts';
import { rollupFingerprint, type RollupState } from './rollup-state.ts';

/**
 * Where a request is answered from, given the rollups' state: `rollup` when the request's dimensions
 * form a rolled-up set and the rollups are current (quantiles then within 1 %: histogram.ts), `facts`
 * otherwise, `raw` before the first refresh
 * or after a configuration change (time zone, SLA policy, catalog); `facts` for a request bounded by
 * instants (the rollups hold whole days). An explicit `store` wins.
 */
export function chooseStore(
  m: MetricDefinition,
  req: MetricRequest,
  cfg: Config,
  state: RollupState | null,
): Store {
  if (req.store !== undefined && req.store !== 'auto') return req.store;
  if (state === null || state.fingerprint !== fingerprintOf(cfg)) return 'raw';
  if (m.source === 'customers') return 'rollup';
  if (req.instants) return 'facts';
  const judgedThen =
    !/\btarget_passed\b/.test(Object.values(m.sql).join(' ')) ||
    req.asOf === undefined ||
    req.asOf.getTime() === state.evaluatedAt.getTime();
  return judgedThen && rollupSetFor(m, requestDimensions(req)) !== null ? 'rollup' : 'facts';
}

/** Whether the stored facts match this configuration (else only the raw tables give current rows). */
export const isCurrent = (state: RollupState | null, cfg: Config): boolean =>
  state !== null && state.fingerprint === fingerprintOf(cfg);

const fingerprints = new WeakMap<Config, string>();
function fingerprintOf(cfg: Config): string {
  let fp = fingerprints.get(cfg);
  if (fp === undefined) fingerprints.set(cfg, (fp = rollupFingerprint(cfg)));
  return fp;
}
