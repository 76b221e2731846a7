/** The Java runtime the local Kafka JVMs need: where it is and whether it is recent enough. */
import fs from 'node:fs';
import path from 'node:path';
import { CxError } from '../errors.ts';
import { run, tail } from './process.ts';

const MIN_JAVA = 17;
const INSTALL_JAVA = 'apt-get install openjdk-17-jre-headless (or set JAVA_HOME)';
/** The way around a missing dependency, named in every dependency_missing message. */
export const USE_CLUSTER = 'or set KAFKA_BROKERS to use an existing Kafka cluster';

export function defaultJavaBin(): string {
  const home = process.env['JAVA_HOME'];
  if (home) {
    const bin = path.join(home, 'bin', 'java');
    if (fs.existsSync(bin)) return bin;
  }
  return 'java';
}

/**
 * `java -version` → the major version; throws dependency_missing when absent or older than 17. Not cached:
 * it takes a few tens of milliseconds and Java may be installed meanwhile.
 */
export async function checkJava(javaBin: string = defaultJavaBin()): Promise<number> {
  const r = await run(javaBin, ['-version'], 30_000);
  if (r.error) {
    throw new CxError(
      'dependency_missing',
      `Java ${MIN_JAVA}+ is required for the local Kafka broker, but \`${javaBin}\` could not be run (${r.error.code}): ` +
        `${INSTALL_JAVA}, ${USE_CLUSTER}`,
    );
  }
  const out = `${r.stderr}\n${r.stdout}`;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
  if (r.code !== 0 || !m) {
    throw new CxError(
      'dependency_missing',
      `Java ${MIN_JAVA}+ is required for the local Kafka broker, but \`${javaBin} -version\` failed: ${tail(out, 5)}; ` +
        `${INSTALL_JAVA}, ${USE_CLUSTER}`,
    );
  }
  const major = m[1] === '1' ? Number(m[2]) : Number(m[1]);
  if (major < MIN_JAVA) {
    throw new CxError(
      'dependency_missing',
      `Java ${MIN_JAVA}+ is required for the local Kafka broker, but \`${javaBin}\` is Java ${major}: ` +
        `${INSTALL_JAVA}, ${USE_CLUSTER}`,
    );
  }
  return major;
}
