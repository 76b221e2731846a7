import { CxError } from '../infra/errors.ts';

/** `v`, or an `internal` error naming what was missing (an index the simulation's own tables must hold). */
export function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new CxError('internal', `generator invariant broken: no ${what}`);
  return v;
}
