import i18next, { type i18n, type TOptions } from 'i18next';
import { CATALOGUES, NAMESPACES } from './catalogues.ts';
import type { Locale } from './locales.ts';

/**
 * A reader's words, numbers and dates: `t` looks a message up in the catalogue of the reader's language
 * (i18next: `{{name}}` interpolation, plurals by `count`), `number` and `date` format through `Intl`, and
 * `label` writes a stored value (a channel, a team id …) as a person reads it. Pure and synchronous;
 * the same translator serves the server, the report renderer and the browser.
 */

/** Names per language, as the centre configures them (CUSTOMER_SEGMENTS, DISPLAY_NAMES). */
export type LocalNames = Record<Locale, string>;
export interface CentreNames {
  segments?: readonly { key: string; names: LocalNames }[];
  display_names?: Partial<Record<string, Record<string, LocalNames>>>;
}

export interface Translator {
  readonly locale: Locale;
  /** `ns:key` (namespace `common` when none is named) with interpolation values. */
  t(key: string, values?: TOptions): string;
  /** Whether the catalogue has the key (for words that may or may not be translated, e.g. a metric's). */
  has(key: string): boolean;
  number(v: number, opts?: Intl.NumberFormatOptions): string;
  /** An instant or a `YYYY-MM-DD` day, in the locale's words. */
  date(v: Date | string | number, opts?: Intl.DateTimeFormatOptions): string;
  /** A stored value of a dimension as a person reads it: configured name, then the vocabulary, else as stored. */
  label(dimension: string, value: unknown): string;
}

const instances = new Map<Locale, i18n>();

function instance(locale: Locale): i18n {
  let inst = instances.get(locale);
  if (!inst) {
    inst = i18next.createInstance();
    void inst.init({
      lng: locale,
      fallbackLng: false,
      ns: [...NAMESPACES],
      defaultNS: 'common',
      resources: { [locale]: CATALOGUES[locale] },
      initAsync: false,
      interpolation: { escapeValue: false },
      returnNull: false,
    });
    instances.set(locale, inst);
  }
  return inst;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DIMENSION_VOCABULARY: Record<string, string> = {
  channel: 'channel',
  category: 'category',
  priority: 'priority',
  severity: 'severity',
  survey: 'survey',
  outcome: 'outcome',
  status: 'status',
};

export function translator(locale: Locale, names: CentreNames = {}): Translator {
  const inst = instance(locale);
  const t = inst.getFixedT(locale);
  const segments = new Map((names.segments ?? []).map((s) => [s.key, s.names]));
  const has = (key: string) => inst.exists(key);
  return {
    locale,
    t: (key, values) => t(key, values ?? {}) as string,
    has,
    number: (v, opts) => new Intl.NumberFormat(locale, opts).format(v),
    date: (v, opts) => {
      // a day alone is that calendar day wherever the reader is
      const d = typeof v === 'string' && DAY.test(v) ? new Date(`${v}T00:00:00Z`) : new Date(v);
      const o = typeof v === 'string' && DAY.test(v) ? { timeZone: 'UTC', ...opts } : opts;
      return new Intl.DateTimeFormat(locale, o ?? { dateStyle: 'medium' }).format(d);
    },
    label: (dimension, value) => {
      if (value === null || value === undefined || value === '') return '–';
      const v = String(value);
      if (dimension === 'segment') return segments.get(v)?.[locale] ?? v;
      const configured = names.display_names?.[dimension]?.[v]?.[locale];
      if (configured) return configured;
      const group = DIMENSION_VOCABULARY[dimension];
      const key = `vocabulary:${group}.${v}`;
      return group && has(key) ? t(key) : v;
    },
  };
}
