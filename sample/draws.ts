import { randomExponential, randomLcg, randomNormal, randomPoisson } from 'd3-random';
import { must } from './must.ts';

/**
 * Every random number of the simulation comes from one d3-random LCG seeded with the options' seed, through
 * these views of it; drawn in a fixed order, so the same options give the same events, byte for byte.
 */
export class Draws {
  /** Uniform on [0, 1): the LCG itself. */
  readonly u: () => number;
  /** Standard normal (stateful: it keeps the second value of each pair it makes). */
  readonly normal: () => number;
  /** Exponential with mean 1. */
  readonly expo: () => number;
  /** A Poisson generator for a mean. */
  readonly poisson: (lambda: number) => () => number;

  constructor(seed: number) {
    const src = randomLcg(seed);
    this.u = src;
    this.poisson = randomPoisson.source(src);
    this.normal = randomNormal.source(src)(0, 1);
    this.expo = randomExponential.source(src)(1);
  }

  /** One of `xs`, uniformly. */
  pick<T>(xs: readonly T[]): T {
    return must(xs[Math.floor(this.u() * xs.length)], 'choice');
  }
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A score from `first` upward with the given relative weights. */
export function pickScore(u: number, weights: readonly number[], first: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += must(weights[i], 'weight') / total;
    if (u < acc) return first + i;
  }
  return first + weights.length - 1;
}
