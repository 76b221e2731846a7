/** The KRaft storage of a local Kafka node: a cluster id, and `kafka-storage format` run once on data/. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CxError } from '../errors.ts';
import { logger } from '../logger.ts';
import { run, tail, writeAtomic } from './process.ts';
import type { StatePaths } from './state.ts';

const log = logger('kafka-broker');

/** 22 characters, as `kafka-storage random-uuid`; like Kafka's Uuid, never starting with '-'. */
export function newClusterId(): string {
  let id: string;
  do id = randomBytes(16).toString('base64url');
  while (id.startsWith('-'));
  return id;
}

/**
 * Format `p.data` for KRaft unless it already is (`meta.properties`), with the cluster id of
 * `p.clusterId` (made and written there when missing or malformed).
 */
export async function formatStorage(p: StatePaths, javaBin: string, classpath: string): Promise<void> {
  if (fs.existsSync(path.join(p.data, 'meta.properties'))) return;
  let clusterId: string;
  try {
    clusterId = (await fsp.readFile(p.clusterId, 'utf8')).trim();
    if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(clusterId)) throw new Error('malformed');
  } catch {
    clusterId = newClusterId();
    await writeAtomic(p.clusterId, `${clusterId}\n`);
  }
  const started = Date.now();
  const r = await run(
    javaBin,
    [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${p.log4j}`,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId}`,
      `--config=${p.serverProperties}`,
      '--ignore-formatted',
    ],
    120_000,
    p.dir,
  );
  if (r.code !== 0) {
    throw new CxError(
      'broker_start_failed',
      `cannot format the local Kafka broker's storage in ${p.data}: ${r.error ? r.error.message : `exit ${r.code}`}\n` +
        tail(`${r.stdout}\n${r.stderr}`, 20),
    );
  }
  log.info(
    { event_name: 'kafka_format', cluster_id: clusterId, data_dir: p.data, ms: Date.now() - started },
    'formatted local Kafka storage',
  );
}
