/**
 * Summarize a V8 .cpuprofile (from `npm run bench:ingest -- --cpu-prof c`, written to
 * bench/results/profiles/): self time by function and by package / project folder.
 *
 *   npx tsx bench/cpuprofile-summary.ts bench/results/profiles/phase-c.cpuprofile [--top 40]
 *
 * Only the JS (main) thread is sampled: time that chDB spends on its own threads shows up as "(idle)".
 */
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--top N]');
  process.exit(2);
}
const topIdx = process.argv.indexOf('--top');
const top = topIdx > 0 ? Number(process.argv[topIdx + 1]) : 40;
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i] as number;
  const dt = prof.timeDeltas[i + 1] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

function where(url: string): string {
  if (!url) return '(native/VM)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] as string);
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const m = /\/work\/[^/]+\/(.*)$/.exec(url.replace('file://', ''));
  return m ? (m[1] as string) : path.basename(url);
}

const fn = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id) as ProfileNode;
  const cf = n.callFrame;
  const w = where(cf.url);
  const name = cf.functionName || '(anonymous)';
  const key = cf.url ? `${name}  ${w}:${cf.lineNumber + 1}` : name;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const group = cf.url ? w : name.startsWith('(') ? name : `(native) ${name}`;
  pkg.set(group, (pkg.get(group) ?? 0) + us);
}
const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5) + ' %';
const sec = (us: number) => (us / 1e6).toFixed(2).padStart(7) + ' s';
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled on the main thread\n`);
console.log('by package / file (self time):');
for (const [k, v] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(`${sec(v)} ${pct(v)}  ${k}`);
console.log(`\ntop ${top} functions (self time):`);
for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${sec(v)} ${pct(v)}  ${k}`);
