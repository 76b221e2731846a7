/**
 * The jars of the local Kafka broker: fetched once from Maven Central with `infra/kafka/pom.xml` into the
 * git-ignored `.cache/kafka/<version>/libs`, a marker (`libs.json`, written last) naming exactly the jars
 * of the last complete fetch.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CxError } from '../errors.ts';
import { logger } from '../logger.ts';
import { USE_CLUSTER } from './java.ts';
import { run, tail, writeAtomic } from './process.ts';
import { defaultProjectRoot, withLock } from './state.ts';

const log = logger('kafka-broker');

interface JarsMarker {
  version: string;
  /** sha256 of pom.xml the jars were resolved with: a changed pom fetches again */
  pomSha256: string;
  jars: string[];
  fetchedAt: string;
}

export interface KafkaJars {
  libsDir: string;
  /** exactly the jars of the last successful fetch (stale extras in libsDir are not on it) */
  classpath: string;
}

type JarPaths = ReturnType<typeof jarPaths>;

function jarPaths(version: string, projectRoot: string) {
  const versionDir = path.join(projectRoot, '.cache', 'kafka', version);
  return {
    pom: path.join(projectRoot, 'infra', 'kafka', 'pom.xml'),
    versionDir,
    libsDir: path.join(versionDir, 'libs'),
    marker: path.join(versionDir, 'libs.json'),
    lock: path.join(versionDir, 'fetch.lock'),
  };
}

async function checkMaven(mvnBin: string, version: string, libsDir: string): Promise<void> {
  const r = await run(mvnBin, ['-v'], 60_000);
  if (r.error || r.code !== 0) {
    const why = r.error
      ? `could not be run (${r.error.code})`
      : `failed: ${tail(`${r.stdout}${r.stderr}`, 5)}`;
    throw new CxError(
      'dependency_missing',
      `Maven is required once to fetch Apache Kafka ${version} from Maven Central into ${libsDir}, but \`${mvnBin}\` ${why}: ` +
        `apt-get install maven, ${USE_CLUSTER}`,
    );
  }
}

async function completeJars(version: string, projectRoot: string): Promise<KafkaJars | undefined> {
  const jp = jarPaths(version, projectRoot);
  let marker: JarsMarker;
  let pomSha: string;
  try {
    marker = JSON.parse(await fsp.readFile(jp.marker, 'utf8')) as JarsMarker;
    pomSha = createHash('sha256')
      .update(await fsp.readFile(jp.pom))
      .digest('hex');
  } catch {
    return undefined;
  }
  if (marker.version !== version || marker.pomSha256 !== pomSha || !Array.isArray(marker.jars))
    return undefined;
  if (!marker.jars.some((j) => j.startsWith('kafka_2.13-'))) return undefined;
  const jars = marker.jars.map((j) => path.join(jp.libsDir, j));
  for (const j of jars) if (!fs.existsSync(j)) return undefined;
  return { libsDir: jp.libsDir, classpath: jars.join(path.delimiter) };
}

/**
 * Fetch the Apache Kafka broker jars of `version` (and their dependencies) from Maven Central into
 * `<projectRoot>/.cache/kafka/<version>/libs`. Idempotent: a complete fetch (marker `libs.json`, written
 * last, matching the current pom.xml) is not repeated. Safe to call from several processes at once.
 */
export async function fetchKafkaJars(
  version: string,
  projectRoot: string = defaultProjectRoot(),
  opts: { mvnBin?: string } = {},
): Promise<string> {
  return (await ensureJars(version, projectRoot, opts.mvnBin ?? 'mvn')).libsDir;
}

export async function ensureJars(version: string, projectRoot: string, mvnBin: string): Promise<KafkaJars> {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new CxError(
      'config_invalid',
      `KAFKA_VERSION=${JSON.stringify(version)} is invalid: must be like 4.4.0`,
    );
  }
  const done = await completeJars(version, projectRoot);
  if (done) {
    log.debug(
      { event_name: 'kafka_fetch', phase: 'cached', version, libs_dir: done.libsDir },
      'Kafka jars cached',
    );
    return done;
  }
  const jp = jarPaths(version, projectRoot);
  await checkMaven(mvnBin, version, jp.libsDir);
  if (!fs.existsSync(jp.pom)) {
    throw new CxError('dependency_missing', `cannot fetch Apache Kafka ${version}: ${jp.pom} is missing`);
  }
  await fsp.mkdir(jp.versionDir, { recursive: true });
  return withLock(jp.lock, `the fetch of Apache Kafka ${version}`, 15 * 60_000, async () => {
    const again = await completeJars(version, projectRoot); // another process may have finished meanwhile
    if (again) return again;
    await runMavenFetch(version, mvnBin, jp);
    const fetched = await completeJars(version, projectRoot);
    if (!fetched) throw new CxError('internal', `Kafka jars of ${version} incomplete right after a fetch`);
    return fetched;
  });
}

async function runMavenFetch(version: string, mvnBin: string, jp: JarPaths): Promise<void> {
  const started = Date.now();
  const staging = path.join(jp.versionDir, `libs.staging-${process.pid}`);
  await fsp.rm(staging, { recursive: true, force: true });
  const pomBytes = await fsp.readFile(jp.pom);
  log.info(
    { event_name: 'kafka_fetch', phase: 'start', version, libs_dir: jp.libsDir },
    `fetching Apache Kafka ${version} from Maven Central (once)`,
  );
  const { code, output, downloaded } = await copyDependencies(mvnBin, version, jp.pom, staging, started);
  if (code !== 0) {
    await fsp.rm(staging, { recursive: true, force: true });
    const errors = output.filter((l) => l.startsWith('[ERROR]')).slice(0, 15);
    throw new CxError(
      'dependency_missing',
      `could not fetch Apache Kafka ${version} from Maven Central (mvn exit ${code}); check the version and network ` +
        `access to repo.maven.apache.org, ${USE_CLUSTER}:\n${(errors.length ? errors : output.slice(-15)).join('\n')}`,
      { retriable: true },
    );
  }
  const jars = (await fsp.readdir(staging)).filter((f) => f.endsWith('.jar')).sort();
  if (!jars.some((j) => j.startsWith('kafka_2.13-'))) {
    throw new CxError('dependency_missing', `Maven returned no kafka_2.13 jar for Apache Kafka ${version}`);
  }
  await mergeInto(jp.libsDir, staging, jars);
  const marker: JarsMarker = {
    version,
    pomSha256: createHash('sha256').update(pomBytes).digest('hex'),
    jars,
    fetchedAt: new Date().toISOString(),
  };
  await writeAtomic(jp.marker, `${JSON.stringify(marker, null, 2)}\n`);
  log.info(
    {
      event_name: 'kafka_fetch',
      phase: 'done',
      version,
      jars: jars.length,
      artifacts_downloaded: downloaded,
      ms: Date.now() - started,
    },
    `fetched Apache Kafka ${version} (${jars.length} jars)`,
  );
}

/** `mvn dependency:copy-dependencies` into `staging`, logging progress every 5 s; killed after 15 min. */
function copyDependencies(
  mvnBin: string,
  version: string,
  pom: string,
  staging: string,
  started: number,
): Promise<{ code: number | null; output: string[]; downloaded: number }> {
  const args = [
    '-B',
    '-Dstyle.color=never',
    '-f',
    pom,
    'dependency:copy-dependencies',
    `-Dkafka.version=${version}`,
    `-Dcache.dir=${staging}`,
  ];
  let downloaded = 0;
  const output: string[] = [];
  return new Promise((resolve) => {
    const child = spawn(mvnBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        output.push(line);
        if (output.length > 400) output.shift();
        if (/^Downloaded from /.test(line)) downloaded++;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const progress = setInterval(() => {
      log.info(
        {
          event_name: 'kafka_fetch',
          phase: 'progress',
          version,
          artifacts_downloaded: downloaded,
          elapsed_ms: Date.now() - started,
        },
        'still fetching Kafka jars',
      );
    }, 5000);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.on('error', (err) => {
      output.push(String(err));
      clearInterval(progress);
      clearTimeout(timer);
      resolve({ code: null, output, downloaded });
    });
    child.on('close', (c) => {
      clearInterval(progress);
      clearTimeout(timer);
      resolve({ code: c, output, downloaded });
    });
  });
}

/**
 * Merge the fetched jars into libs/ without deleting: a running broker may still read jars from there.
 * Maven artifacts of one version never change, so an existing jar of the same name and size is kept.
 */
async function mergeInto(libsDir: string, staging: string, jars: string[]): Promise<void> {
  await fsp.mkdir(libsDir, { recursive: true });
  for (const jar of jars) {
    const src = path.join(staging, jar);
    const dst = path.join(libsDir, jar);
    const [s, d] = await Promise.all([fsp.stat(src), fsp.stat(dst).catch(() => undefined)]);
    if (d && d.size === s.size) continue;
    await fsp.copyFile(src, `${dst}.tmp`);
    await fsp.rename(`${dst}.tmp`, dst);
  }
  await fsp.rm(staging, { recursive: true, force: true });
}
