/** Keys of the sample data `cxpulse start` streams into an empty store. */
import { bool, int, type KeyTable, type Values } from './keys.ts';

export const sampleKeys = {
  CXPULSE_SAMPLE_DATA: {
    default: 'true',
    doc: '`cxpulse start` streams the sample data through Kafka when the store is empty.',
    schema: bool,
  },
  CXPULSE_SAMPLE_DAYS: {
    default: '184',
    doc: 'Days of sample data, up to yesterday. The default covers the current quarter so far and the 90 days before it: the default baseline period of relative targets.',
    schema: int(1, 3650),
  },
  CXPULSE_SAMPLE_CUSTOMERS: {
    default: '2800',
    doc: 'Customers in the sample data.',
    schema: int(10, 10_000_000),
  },
  CXPULSE_SAMPLE_SEED: {
    default: '42',
    doc: 'Seed of the sample-data generator.',
    schema: int(0, 2 ** 31 - 1),
  },
} satisfies KeyTable;

export function sample(v: Values<typeof sampleKeys>) {
  return {
    enabled: v.CXPULSE_SAMPLE_DATA,
    days: v.CXPULSE_SAMPLE_DAYS,
    customers: v.CXPULSE_SAMPLE_CUSTOMERS,
    seed: v.CXPULSE_SAMPLE_SEED,
  };
}
