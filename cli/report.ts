import { setTimeout as sleep } from 'node:timers/promises';
import { CxError, type ErrorCode } from '../infra/errors.ts';
import { parsePeriod } from '../dashboards/reports/period.ts';
import type { RunRecord } from '../dashboards/reports/runs.ts';
import { definitionNamed } from '../dashboards/reports/scheduler.ts';
import type { Runtime } from './runtime.ts';

const WAIT_MS = 60 * 60_000;

const CODES: Record<number, ErrorCode> = {
  400: 'bad_parameter',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
};

/**
 * `cxpulse report NAME --period …`: one run now. Through the running server when one answers (it holds
 * the embedded store), waiting for the run to finish; otherwise in this process against the store.
 */
export async function runReport(
  rt: Runtime,
  cmd: { name: string; period?: string; url: string; token: string | undefined },
): Promise<RunRecord> {
  const up = await fetch(new URL('/healthz', cmd.url), { signal: AbortSignal.timeout(1500) }).then(
    () => true,
    () => false,
  );
  if (up) {
    const headers = cmd.token ? { authorization: `Bearer ${cmd.token}` } : undefined;
    const q = cmd.period ? `?period=${encodeURIComponent(cmd.period)}` : '';
    const res = await fetch(new URL(`/api/v1/reports/${encodeURIComponent(cmd.name)}/run${q}`, cmd.url), {
      method: 'POST',
      ...(headers ? { headers } : {}),
    });
    const body = (await res.json().catch(() => ({}))) as { run_key?: string; error?: { message: string } };
    if (!res.ok || !body.run_key)
      throw new CxError(
        CODES[res.status] ?? 'internal',
        body.error?.message ?? `the server answered ${res.status}`,
      );
    // a run retries for minutes at most (REPORT_RETRIES); past this something else is wrong
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const r = await fetch(
        new URL(`/api/v1/reports/runs?run_key=${encodeURIComponent(body.run_key)}`, cmd.url),
        headers ? { headers } : {},
      );
      const answer = (await r.json().catch(() => ({}))) as {
        runs?: RunRecord[];
        error?: { message: string };
      };
      if (!r.ok)
        throw new CxError(
          CODES[r.status] ?? 'internal',
          answer.error?.message ?? `the server answered ${r.status}`,
        );
      const run = answer.runs?.[0];
      if (run && (run.status === 'succeeded' || run.status === 'failed')) return run;
      if (Date.now() > deadline)
        throw new CxError(
          'internal',
          `${body.run_key} is still ${run?.status ?? 'not recorded'} after ${WAIT_MS / 60_000} minutes; its outcome will be on the /reports page`,
        );
      await sleep(1000);
    }
  }
  try {
    const { runner, definitions } = await rt.reportsUp();
    const def = definitionNamed(definitions, cmd.name);
    const period = parsePeriod(cmd.period ?? def.period, new Date(), [
      def.schedule.timezone,
      rt.cfg.timeZone,
    ]);
    return await runner.runNow(def, period);
  } finally {
    await rt.close();
  }
}

export function describeRun(r: RunRecord): string {
  const lines = [
    `${r.report} ${r.period_from} to ${r.period_to}: ${r.status} after ${r.attempt} attempt(s) in ${(r.duration_ms / 1000).toFixed(1)} s`,
    ...Object.entries(r.deliveries).map(([channel, outcome]) => `  ${channel}: ${outcome}`),
    ...(r.recipients.length > 0 ? [`  recipients: ${r.recipients.join(', ')}`] : []),
  ];
  return lines.join('\n') + '\n';
}
