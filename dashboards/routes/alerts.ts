import { hostname } from 'node:os';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { parse as parseYaml } from 'yaml';
import { currentRules, rulesHistory, saveRules, type RulesDocument } from '../../alerts/rules/store.ts';
import { AlertStore } from '../../alerts/state/store.ts';
import { badParameter, CxError } from '../../infra/errors.ts';
import type { Caller } from '../auth.ts';
import type { AlertActionResult, AlertEventList, AlertList, AlertRuleInfo } from '../wire.ts';
import {
  acknowledgeRule,
  acknowledging,
  applyChange,
  matching,
  silenceBody,
  silencing,
  stateInfo,
  whyOf,
  type Change,
} from './alert-actions.ts';
import type { ApiDeps } from './deps.ts';

/**
 * `/api/v1/alerts` (docs/api.md): the rules with each group's state, edits of the rules (each a version
 * with who and when, validated on the whole resulting document, `if_version` against concurrent edits),
 * silences and acknowledgements (recorded with who and why), and the history.
 *
 * - `GET /api/v1/alerts` (viewer), `GET /api/v1/alerts/events?rule=&from=&to=&limit=` (viewer)
 * - `POST /api/v1/alerts`, `PUT /api/v1/alerts/{name}`, `DELETE /api/v1/alerts/{name}` (editor)
 * - `POST /api/v1/alerts/{name}/silence`, `/acknowledge`, `POST /api/v1/alerts/silence` (editor)
 *
 * `deps.alertsText` is the rules file's text (ALERTS_FILE), version 1 until the first edit; none = no rules.
 */
interface Ctx {
  deps: ApiDeps;
  fileText: string;
  store: AlertStore;
  json: RequestHandler;
  editor: RequestHandler;
}

const who = (res: { locals: Record<string, unknown> }) => (res.locals['caller'] as Caller).id;

export function alertsRouter(deps: ApiDeps): Router {
  const fileText = deps.alertsText ?? '';
  const router = express.Router();
  const store = new AlertStore(deps.clickhouse, {
    database: deps.cfg.clickhouse.database,
    owner: `api:${hostname()}:${process.pid}`,
    settleMs: deps.cfg.reports.claimSettleMs,
  });
  const ctx: Ctx = {
    deps,
    fileText,
    store,
    json: express.json({ limit: '256kb' }),
    editor: deps.requireRole('editor'),
  };
  readRoutes(router, ctx);
  editRoutes(router, ctx);
  actionRoutes(router, ctx);
  return router;
}

function readRoutes(router: Router, { deps, fileText, store }: Ctx): void {
  router.get('/api/v1/alerts', deps.requireRole('viewer'), async (_req, res) => {
    const now = new Date();
    const [cur, states, versions] = await Promise.all([
      currentRules(deps.clickhouse, deps.cfg, fileText),
      store.list(),
      rulesHistory(deps.clickhouse, deps.cfg, fileText),
    ]);
    const rules: AlertRuleInfo[] = cur.parsed.rules.map((r, i) => ({
      name: r.name,
      title: r.title,
      kind: r.kind,
      metric: 'metric' in r ? r.metric : null,
      check: 'check' in r ? r.check : null,
      filters: 'filters' in r ? (r.filters as Record<string, string[]>) : {},
      by: 'by' in r && r.by !== undefined ? r.by : null,
      channels: r.channels,
      locale: r.locale,
      source: cur.document.alerts[i] ?? {},
      states: states.filter((s) => s.rule === r.name).map((s) => stateInfo(s.group, s.state, now)),
    }));
    res.json({
      version: cur.version,
      changed_by: cur.changed_by,
      changed_at: cur.changed_at,
      comment: cur.comment,
      // names and kinds only: a robot's address holds its credential
      channels: cur.parsed.destinations.map((d) => ({ name: d.name, kind: d.kind })),
      rules,
      versions,
    } satisfies AlertList);
  });

  router.get('/api/v1/alerts/events', deps.requireRole('viewer'), async (req, res) => {
    const q = eventQuery(req);
    const events = (await store.events({ ...(q.rule ? { rule: q.rule } : {}), limit: 10_000 }))
      .filter((e) => (q.from === null || e.at >= q.from) && (q.to === null || e.at < q.to))
      .slice(0, q.limit);
    res.json({ events: events.map((e) => ({ ...e, at: e.at.toISOString() })) } satisfies AlertEventList);
  });
}

function editRoutes(router: Router, { deps, fileText, json, editor }: Ctx): void {
  const save = async (raw: unknown, by: string, change: (doc: RulesDocument) => RulesDocument) => {
    const body = objectBody(raw);
    const ifVersion = body['if_version'];
    if (typeof ifVersion !== 'number' || !Number.isInteger(ifVersion) || ifVersion < 1)
      throw badParameter('if_version', 'must be the version you edited (GET /api/v1/alerts → version)');
    const comment = typeof body['comment'] === 'string' ? body['comment'].slice(0, 500) : '';
    return saveRules(deps.clickhouse, deps.cfg, fileText, { ifVersion, by, comment, change });
  };
  const answer = (v: Awaited<ReturnType<typeof saveRules>>) => ({
    version: v.version,
    changed_by: v.changed_by,
    changed_at: v.changed_at,
  });

  router.post('/api/v1/alerts', editor, json, async (req, res) => {
    const rule = ruleOf(objectBody(req.body));
    const saved = await save(req.body, who(res), (d) => ({ ...d, alerts: [...d.alerts, rule] }));
    res.status(201).json(answer(saved));
  });

  router.put('/api/v1/alerts/:name', editor, json, async (req, res) => {
    const name = String(req.params['name']);
    const rule = ruleOf(objectBody(req.body));
    const saved = await save(req.body, who(res), (d) => {
      const i = indexOf(d, name);
      return { ...d, alerts: d.alerts.map((r, j) => (j === i ? rule : r)) };
    });
    res.json(answer(saved));
  });

  router.delete('/api/v1/alerts/:name', editor, json, async (req, res) => {
    const name = String(req.params['name']);
    const q = req.query as Record<string, unknown>;
    const body: unknown =
      typeof q['if_version'] === 'string' ? { if_version: Number(q['if_version']) } : req.body;
    const saved = await save(body, who(res), (d) => {
      const i = indexOf(d, name);
      return { ...d, alerts: d.alerts.filter((_r, j) => j !== i) };
    });
    res.json(answer(saved));
  });
}

function actionRoutes(router: Router, { deps, fileText, store, json, editor }: Ctx): void {
  const act = async (rules: string[], change: Change, now: Date): Promise<AlertActionResult> => {
    const changed: AlertActionResult['changed'] = [];
    for (const rule of rules)
      for (const group of await applyChange(store, rule, change, now)) changed.push({ rule, group });
    return { changed };
  };
  /** A group's acknowledgement (`group` given), a breakdown rule's as a whole, or a plain rule's. */
  const acknowledgeAct = async (
    rule: string,
    group: unknown,
    by: string,
    why: string,
    now: Date,
  ): Promise<AlertActionResult> => {
    if (group !== undefined && typeof group !== 'string') throw badParameter('group', 'must be a string');
    const r = (await currentRules(deps.clickhouse, deps.cfg, fileText)).parsed.rules.find(
      (x) => x.name === rule,
    );
    const ack = acknowledging(by, why, now);
    if (typeof group === 'string') {
      if (!(await store.list(rule)).some((s) => s.group === group))
        throw new CxError('not_found', `${rule} has no group ${group}`);
      return {
        changed: (await applyChange(store, rule, ack, now, [group])).map((g) => ({ rule, group: g })),
      };
    }
    if (r?.kind !== 'pipeline' && r?.by)
      return { changed: (await acknowledgeRule(store, rule, by, why, now)).map((g) => ({ rule, group: g })) };
    return act([rule], ack, now);
  };
  const named = async (name: string) => {
    const cur = await currentRules(deps.clickhouse, deps.cfg, fileText);
    if (!cur.parsed.rules.some((r) => r.name === name))
      throw new CxError('not_found', `no alert rule named ${name}`);
    return name;
  };

  router.post('/api/v1/alerts/silence', editor, json, async (req, res) => {
    const now = new Date();
    const body = objectBody(req.body);
    const { until, why } = silenceBody(body, now);
    const cur = await currentRules(deps.clickhouse, deps.cfg, fileText);
    const rules = matching(cur.parsed.rules, body['filter']).map((r) => r.name);
    if (rules.length === 0) throw badParameter('filter', 'matches no rule');
    res.json(await act(rules, silencing(who(res), until, why), now));
  });

  router.post('/api/v1/alerts/:name/silence', editor, json, async (req, res) => {
    const now = new Date();
    const { until, why } = silenceBody(objectBody(req.body), now);
    const name = await named(String(req.params['name']));
    res.json(await act([name], silencing(who(res), until, why), now));
  });

  router.post('/api/v1/alerts/:name/acknowledge', editor, json, async (req, res) => {
    const now = new Date();
    const why = whyOf(objectBody(req.body));
    const name = await named(String(req.params['name']));
    const done = await acknowledgeAct(name, objectBody(req.body)['group'], who(res), why, now);
    if (done.changed.length === 0)
      throw new CxError('conflict', `${name} is neither pending nor firing: there is nothing to acknowledge`);
    res.json(done);
  });
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badParameter('body', 'must be a JSON object');
  return body as Record<string, unknown>;
}

/** The rule of a body: `rule` (an object) or `text` (the rule in YAML or JSON). */
function ruleOf(body: Record<string, unknown>): Record<string, unknown> {
  let rule = body['rule'];
  if (rule === undefined && typeof body['text'] === 'string') {
    try {
      rule = parseYaml(body['text']);
    } catch (err) {
      throw badParameter('text', `is not valid YAML or JSON: ${(err as Error).message}`);
    }
  }
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
    throw badParameter(
      body['text'] === undefined ? 'rule' : 'text',
      'must be one rule (a mapping with name, kind, …)',
    );
  return rule as Record<string, unknown>;
}

function indexOf(doc: RulesDocument, name: string): number {
  const i = doc.alerts.findIndex((r) => r['name'] === name);
  if (i < 0) throw new CxError('not_found', `no alert rule named ${name}`);
  return i;
}

function eventQuery(req: Request): {
  rule: string | null;
  from: Date | null;
  to: Date | null;
  limit: number;
} {
  const q = req.query as Record<string, unknown>;
  for (const key of Object.keys(q))
    if (!['rule', 'from', 'to', 'limit'].includes(key))
      throw badParameter(key, 'unknown parameter; use rule, from, to, limit');
  const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : null);
  const time = (k: string) => {
    const v = str(k);
    if (v === null) return null;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw badParameter(k, 'must be an ISO 8601 date or time');
    return d;
  };
  const limit = str('limit') ?? '500';
  if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 5000)
    throw badParameter('limit', 'must be 1–5000');
  return { rule: str('rule'), from: time('from'), to: time('to'), limit: Number(limit) };
}
