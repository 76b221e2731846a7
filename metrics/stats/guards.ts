import { CxError } from '../../infra/errors.ts';

/**
 * The argument checks and the "no NaN out" guard every statistic of this folder shares (the contract in
 * index.ts), and the pairing of two samples with missing values.
 */

export function badParameter(message: string): CxError {
  return new CxError('bad_parameter', message);
}

/** A value that must be a finite number, or null: the last guard of the "no NaN out" contract. */
export function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw badParameter(`confidence must be in (0, 1), got ${confidence}`);
  }
}

export function checkCount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw badParameter(`${name} must be a finite number ≥ 0, got ${value}`);
  }
}

export function checkPart(name: string, part: number, n: number): void {
  checkCount(name, part);
  if (part > n) throw badParameter(`${name} (${part}) must not exceed n (${n})`);
}

/** Pairs where both values are finite numbers; null / NaN entries are missing data, not errors. */
export function completePairs(
  x: readonly (number | null)[],
  y: readonly (number | null)[],
): { xs: number[]; ys: number[] } {
  if (x.length !== y.length) {
    throw badParameter(`x and y must have the same length (${x.length} ≠ ${y.length})`);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const b = y[i];
    if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) {
      xs.push(a);
      ys.push(b);
    }
  }
  return { xs, ys };
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
