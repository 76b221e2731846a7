import type { AddressInfo } from 'node:net';
import { Runtime } from '../../cli/runtime.ts';
import { testConfig, testEnv } from './env.ts';

export interface TestPipeline {
  rt: Runtime;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:41234 */
  base: string;
  db: string;
}

/** The real pipeline of one test file: ingester + HTTP server with the collector, on the run's broker. */
export async function startPipeline(
  tokens: string[],
  env: Record<string, string> = {},
): Promise<TestPipeline> {
  const cfg = testConfig(testEnv({ INGEST_FLUSH_MS: '100', ...env }));
  const rt = new Runtime(cfg);
  await rt.startIngester();
  const server = await rt.startServer({ collector: true, tokens });
  return {
    rt,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    db: cfg.clickhouse.database,
  };
}
