import type { z } from 'zod';
import { formatPath } from '../../infra/yaml-file.ts';

/**
 * One mistake in an alerts document as the API returns it: its place (`alerts[2].for`), a code with
 * parameters that the page puts in the reader's words (`alerts:errors.<code>` in the catalogues), and
 * the English message. `code` is null for a mistake no code foresees (the page shows the message as it
 * is). Pure.
 */
export interface RuleIssue {
  place: string;
  code: RuleIssueCode | null;
  params: Record<string, string>;
  message: string;
}

/** Every code a rule mistake can carry; each is a key of `alerts:errors` in both catalogues. */
export const RULE_ISSUE_CODES = [
  'unknown_metric',
  'invalid_duration',
  'duration_range',
  'unknown_dimension',
  'unknown_channel',
  'duplicate_name',
  'invalid_condition',
  'no_target',
  'required_by_check',
  'not_for_check',
  'required',
  'invalid_enum',
  'invalid_type',
  'unknown_key',
  'invalid_format',
  'too_small',
  'too_big',
  'too_few',
  'too_many',
  'too_short',
  'too_long',
] as const;
export type RuleIssueCode = (typeof RULE_ISSUE_CODES)[number];

const KNOWN = new Set<string>(RULE_ISSUE_CODES);
const list = (xs: readonly unknown[]) => xs.map(String).join(', ');
const SIZE: Record<string, [RuleIssueCode, RuleIssueCode, RuleIssueCode]> = {
  // origin → [number, array, text] codes of too_small, then of too_big
  too_small: ['too_small', 'too_few', 'too_short'],
  too_big: ['too_big', 'too_many', 'too_long'],
};

function coded(i: z.core.$ZodIssue): { code: RuleIssueCode | null; params: Record<string, string> } {
  switch (i.code) {
    case 'custom': {
      const { code, ...params } = (i.params ?? {}) as Record<string, string>;
      const input: Record<string, string> = typeof i.input === 'string' ? { value: i.input } : {};
      return KNOWN.has(code ?? '') ? { code: code as RuleIssueCode, params: { ...input, ...params } } : none;
    }
    case 'invalid_type':
      return i.input === undefined
        ? { code: 'required', params: {} }
        : { code: 'invalid_type', params: { expected: i.expected } };
    case 'invalid_value':
      return i.input === undefined
        ? { code: 'required', params: {} }
        : { code: 'invalid_enum', params: { allowed: list(i.values) } };
    case 'invalid_union':
      return 'discriminator' in i && i.discriminator
        ? { code: 'invalid_enum', params: { allowed: 'kpi, anomaly, service, pipeline' } }
        : none;
    case 'unrecognized_keys':
      return { code: 'unknown_key', params: { keys: list(i.keys) } };
    case 'invalid_key':
      return i.issues[0]?.code === 'invalid_value'
        ? { code: 'invalid_enum', params: { allowed: list(i.issues[0].values) } }
        : none;
    case 'invalid_format':
      return { code: 'invalid_format', params: {} };
    case 'too_small':
    case 'too_big': {
      const [num, arr, text] = SIZE[i.code]!;
      const code = i.origin === 'array' ? arr : i.origin === 'string' ? text : num;
      return { code, params: { limit: String(i.code === 'too_small' ? i.minimum : i.maximum) } };
    }
    default:
      return none;
  }
}
const none = { code: null, params: {} };

export function ruleIssue(i: z.core.$ZodIssue): RuleIssue {
  return { place: formatPath(i.path), ...coded(i), message: i.message };
}
