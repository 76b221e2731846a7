/** Keys of the alert evaluator: the rules file and how often live and pipeline rules are evaluated. */
import { z } from 'zod';
import { int, type KeyTable, type Values } from './keys.ts';

export const alertKeys = {
  ALERTS_FILE: {
    default: undefined,
    doc: 'The alert rules (YAML; see "Alerts" and the example `alerts.yaml`). Unset: no alerts are evaluated. Validated at start-up: a mistake stops the command with `alert_invalid` naming its place.',
    schema: z.string().min(1),
  },
  ALERTS_INTERVAL_SECONDS: {
    default: '60',
    doc: 'How often `cxpulse start` and `serve` evaluate the service and pipeline rules; every rule is also evaluated after each rollup refresh.',
    schema: int(5, 24 * 3600),
  },
} satisfies KeyTable;

export function alerts(v: Values<typeof alertKeys>) {
  return {
    /** null: alerts off */
    file: v.ALERTS_FILE ?? null,
    intervalMs: v.ALERTS_INTERVAL_SECONDS * 1000,
  };
}
