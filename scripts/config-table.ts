// Prints the README's configuration table from infra/config.ts (the single source of keys and defaults).
import { CONFIG_KEYS } from '../infra/config.ts';

const lines = ['| key | default | meaning |', '| --- | --- | --- |'];
for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
  const def =
    spec.default === undefined ? '_unset_' : spec.default === '' ? '_empty_' : `\`${spec.default}\``;
  lines.push(`| \`${key}\` | ${def} | ${spec.doc.replaceAll('|', '\\|')} |`);
}
process.stdout.write(lines.join('\n') + '\n');
