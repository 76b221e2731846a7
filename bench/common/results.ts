import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and `bench/results/`, where every benchmark keeps its reports. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

/** A run's start as it appears in result file names: `2026-11-22T20-42-45Z`. */
export function resultStamp(startedAt: Date | string): string {
  const iso = typeof startedAt === 'string' ? startedAt : startedAt.toISOString();
  return iso.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
}

/**
 * Keep a run's report in bench/results/: `<name>-<stamp>.json` (the JSON text as given) and
 * `<name>-latest.md`.
 */
export async function saveResults(name: string, startedAt: Date | string, json: string, md: string) {
  await fsp.mkdir(RESULTS_DIR, { recursive: true });
  await fsp.writeFile(path.join(RESULTS_DIR, `${name}-${resultStamp(startedAt)}.json`), json);
  await fsp.writeFile(path.join(RESULTS_DIR, `${name}-latest.md`), md);
}
