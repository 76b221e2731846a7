import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import { replay } from '../../../ingest/replay.ts';
import { startPipeline } from '../../helpers/runtime.ts';
import { waitFor } from '../../helpers/wait.ts';

const TOKEN = 'replay-token';
let rt: Runtime;
let base: string;
let db: string;
const dir = mkdtempSync(path.join(tmpdir(), 'cxreplay-'));

beforeAll(async () => {
  ({ rt, base, db } = await startPipeline([TOKEN]));
});
afterAll(() => rt?.close());

async function surveyScores(prefix: string): Promise<Record<string, number>> {
  const rs = await rt.clickhouse!.query({
    query: `SELECT event_id, score FROM ${db}.survey_events FINAL WHERE startsWith(event_id, {p:String}) ORDER BY event_id`,
    query_params: { p: prefix },
    format: 'JSONEachRow',
  });
  return Object.fromEntries(
    (await rs.json<{ event_id: string; score: number }>()).map((r) => [r.event_id, Number(r.score)]),
  );
}

const line = (id: string, score: number) =>
  JSON.stringify({
    event_id: id,
    type: 'survey.responded',
    occurred_at: '2026-03-01T10:00:00+08:00',
    customer_id: 'c1',
    survey: 'nps',
    score,
  });

describe('cxpulse replay', () => {
  it.each(['http', 'kafka'] as const)(
    'sends NDJSON and CSV files via %s, reporting bad lines by file and line',
    async (via) => {
      const p = `r-${via}-`;
      const ndjson = path.join(dir, `${via}.ndjson`);
      writeFileSync(
        ndjson,
        [line(`${p}1`, 10), line(`${p}2`, 0), '', '{"truncated', line(`${p}3`, 11)].join('\n') + '\n',
      );
      const csv = path.join(dir, `${via}.csv`);
      writeFileSync(
        csv,
        'event_id,type,occurred_at,customer_id,survey,score,comment\n' +
          `${p}4,survey.responded,2026-03-01T10:00:00+08:00,c2,nps,7,"fine, thanks"\n` +
          `${p}5,survey.responded,2026-03-01T10:00:00+08:00,c2,nps,,\n`,
      );
      const target =
        via === 'http'
          ? { kind: 'http' as const, url: base, token: TOKEN }
          : { kind: 'kafka' as const, producer: await rt.getProducer(), topics: rt.topics! };
      const res = await replay({ files: [ndjson, csv], target });
      expect(res.read).toBe(6);
      expect(res.sent).toBe(3);
      expect(res.rejected.map((r) => `${path.basename(r.file)}:${r.line}:${r.errors[0]!.field}`)).toEqual([
        `${via}.ndjson:4:(event)`,
        `${via}.ndjson:5:score`,
        `${via}.csv:3:score`,
      ]);
      const stored = await waitFor(
        'replayed events stored',
        () => surveyScores(p),
        (s) => Object.keys(s).length === 3,
      );
      expect(stored).toEqual({ [`${p}1`]: 10, [`${p}2`]: 0, [`${p}4`]: 7 });
    },
  );

  it('splits large replays into requests under the 1 MiB limit', async () => {
    const p = 'r-big-';
    const file = path.join(dir, 'big.ndjson');
    const n = 6_000; // ≈ 1.3 MiB of events
    writeFileSync(
      file,
      Array.from({ length: n }, (_, i) => line(`${p}${String(i).padStart(5, '0')}`, i % 11)).join('\n'),
    );
    const res = await replay({
      files: [file],
      target: { kind: 'http', url: base, token: TOKEN },
      batchSize: n,
    });
    expect(res).toMatchObject({ read: n, sent: n, rejected: [] });
    await waitFor(
      'all stored',
      async () => Object.keys(await surveyScores(p)).length,
      (k) => k === n,
    );
  });

  it('fails clearly on a wrong token', async () => {
    const file = path.join(dir, 'one.ndjson');
    writeFileSync(file, line('r-x-1', 5));
    await expect(
      replay({ files: [file], target: { kind: 'http', url: base, token: 'nope' } }),
    ).rejects.toThrow(/answered 401/);
  });
});
