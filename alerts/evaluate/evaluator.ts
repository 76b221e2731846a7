import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { errorMessage } from '../../infra/errors.ts';
import { logger } from '../../infra/logger.ts';
import { targetsInForce } from '../../metrics/answer/targets-in-force.ts';
import { getMetric } from '../../metrics/catalog.ts';
import type { MetricDefinition } from '../../metrics/types.ts';
import type { LimitPolicy } from '../channels/limiter.ts';
import type { ChannelConfig } from '../channels/send.ts';
import type { AlertRules } from '../rules/definitions.ts';
import type { AlertRule } from '../rules/types.ts';
import { commonSilence, initialState, silenced, type AlertState } from '../state/machine.ts';
import type { AlertStore } from '../state/store.ts';
import { Outbox, type Owed } from './deliver.ts';
import { observeAnomaly, observeKpi } from './kpi.ts';
import { notification } from './notice.ts';
import { vanishedObservation, type GroupObservation } from './observation.ts';
import type { PipelineProbe } from './probe.ts';
import { observePipeline, observeService } from './service.ts';

/**
 * The alert evaluator: observe each rule (one observation per group), advance its state in the store
 * (exactly once across evaluators and restarts: only the winner of a change's claim acts), and send each
 * notice owed to each of the rule's destinations, recording every delivery. The runtime calls
 * `evaluate('all')` after each rollup refresh and, with `start()`, `evaluate('live')` (service and
 * pipeline rules) every `ALERTS_INTERVAL_SECONDS`. Evaluations of one evaluator never overlap; a rule
 * that cannot be observed is logged and counted and the others go on.
 */

export interface EvaluatorDeps {
  client: ClickHouseClient;
  cfg: Config;
  /** the rules, or where to read the version in force at each evaluation (editors' edits: rules/store.ts) */
  rules: AlertRules | (() => Promise<AlertRules>);
  store: AlertStore;
  probe: PipelineProbe;
  channels: ChannelConfig;
  /** each robot's rate (default: 20 messages a minute, channels/limiter.ts) */
  limit?: LimitPolicy;
  /** told after each evaluation how many rules failed in it (for /metrics) */
  onEvaluation?: (errors: number) => void;
}

export interface EvaluationReport {
  rules: number;
  errors: number;
  /** notices this evaluator won and handed to the channels */
  notices: number;
}

const LIVE = new Set<AlertRule['kind']>(['service', 'pipeline']);

export class AlertEvaluator {
  private readonly log = logger('alerts');
  private readonly abort = new AbortController();
  private readonly outbox: Outbox;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** the rules of the evaluation in hand */
  private current: AlertRules = { rules: [], destinations: [] };
  evaluations = 0;
  errors = 0;

  constructor(private readonly deps: EvaluatorDeps) {
    this.outbox = new Outbox(deps.channels, deps.store, this.abort.signal, deps.limit);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Evaluate every rule (`all`) or the service and pipeline rules (`live`), after any in hand. */
  evaluate(which: 'all' | 'live' = 'all', now?: Date): Promise<EvaluationReport> {
    const run = this.chain.then(() => this.once(which, now ?? new Date()));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Evaluate every rule now, then the live rules every `intervalMs` (ALERTS_INTERVAL_SECONDS). */
  start(intervalMs = this.deps.cfg.alerts.intervalMs): void {
    if (this.timer) return;
    const tick = (which: 'all' | 'live') => void this.evaluate(which).catch(() => undefined);
    this.timer = setInterval(() => tick('live'), intervalMs);
    this.timer.unref();
    tick('all');
  }

  /** Stop the schedule and the retries' waits; wait for the evaluation in hand. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.chain;
  }

  private async once(which: 'all' | 'live', now: Date): Promise<EvaluationReport> {
    const src = this.deps.rules;
    this.current = typeof src === 'function' ? await src() : src;
    const rules = this.current.rules.filter((r) => which === 'all' || LIVE.has(r.kind));
    const catalog = rules.some((r) => r.kind === 'kpi' || r.kind === 'anomaly')
      ? (await targetsInForce(this.deps.client, this.deps.cfg)).catalog
      : [];
    const report: EvaluationReport = { rules: rules.length, errors: 0, notices: 0 };
    for (const rule of rules) {
      try {
        report.notices += await this.rule(rule, catalog, now);
      } catch (err) {
        report.errors++;
        this.log.error(
          { event_name: 'alert_evaluation_failed', rule: rule.name, err: errorMessage(err) },
          'alert rule could not be evaluated',
        );
      }
    }
    // what this evaluation won and what any process left owed (a crash, a restart, the rate limit)
    await this.outbox.flush(this.current.destinations);
    this.evaluations++;
    this.errors += report.errors;
    this.deps.onEvaluation?.(report.errors);
    return report;
  }

  private observe(rule: AlertRule, catalog: readonly MetricDefinition[], now: Date) {
    const { client, cfg } = this.deps;
    const metric = (name: string) => catalog.find((m) => m.name === name) ?? getMetric(name);
    switch (rule.kind) {
      case 'kpi':
        return observeKpi(client, cfg, metric(rule.metric), rule, now);
      case 'anomaly':
        return observeAnomaly(client, cfg, metric(rule.metric), rule, now);
      case 'service':
        return observeService(client, cfg, rule, now);
      case 'pipeline':
        return observePipeline(this.deps.probe, rule, now);
    }
  }

  /**
   * The state of a rule with a breakdown as a whole: its own (group '', where the API keeps a silence or
   * acknowledgement set before any group was known), or else the silence every known group carries (set
   * on the whole rule afterwards). Each group is stepped under it, those first seen later included.
   */
  private async whole(rule: string, now: Date): Promise<AlertState | null> {
    const all = await this.deps.store.list(rule);
    const own = all.find((s) => s.group === '')?.state ?? null;
    if (own && silenced(own, now)) return own;
    const shared = commonSilence(
      all.filter((s) => s.group !== '').map((s) => s.state),
      now,
    );
    return shared ? { ...(own ?? initialState(now)), silence: shared } : own;
  }

  /**
   * The groups of a breakdown the store knows in a live phase (pending, firing, resolved) that this
   * evaluation did not see, observed as gone: a count of 0, a KPI with no data in the window.
   */
  private async vanished(
    rule: AlertRule,
    catalog: readonly MetricDefinition[],
    seen: readonly GroupObservation[],
  ): Promise<GroupObservation[]> {
    const known = new Set(seen.map((g) => g.group));
    const gone = (await this.deps.store.list(rule.name)).filter(
      (s) => s.group !== '' && s.state.phase !== 'ok' && !known.has(s.group),
    );
    const kpi = rule.kind === 'kpi' || rule.kind === 'anomaly';
    const unit = kpi ? (catalog.find((m) => m.name === rule.metric) ?? getMetric(rule.metric)).unit : 'count';
    const target = rule.kind === 'service' ? rule.above : null;
    return gone.map((s) => vanishedObservation(s.group, kpi ? null : 0, target, unit));
  }

  /** One rule: advance each group's state; queue the notices won. Returns how many. */
  private async rule(rule: AlertRule, catalog: readonly MetricDefinition[], now: Date): Promise<number> {
    const observed: GroupObservation[] = await this.observe(rule, catalog, now);
    const seen = [...observed, ...(await this.vanished(rule, catalog, observed))];
    const timing = { forMs: rule.forMs, repeatMs: rule.repeatMs };
    const owed: Owed[] = [];
    const whole = seen.some((g) => g.group !== '') ? await this.whole(rule.name, now) : null;
    let live = false;
    for (const g of seen) {
      const prior = g.group === '' ? null : whole;
      const { step, won } = await this.deps.store.advance(rule.name, g.group, g.obs, timing, now, prior);
      live ||= step.state.phase === 'pending' || step.state.phase === 'firing';
      if (!won) continue;
      for (const kind of step.notices)
        owed.push({
          rule: rule.name,
          group: g.group,
          seq: step.state.seq,
          notification: notification(this.deps.cfg, rule, g, kind, now),
        });
    }
    // the rule's episode is over: its acknowledgement as a whole ends with it
    if (whole?.ack && !live) await this.deps.store.endRuleAck(rule.name);
    for (const name of rule.channels) {
      const dest = this.current.destinations.find((d) => d.name === name);
      if (dest) await this.outbox.add(dest, owed, now);
    }
    return owed.length;
  }
}
