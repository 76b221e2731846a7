import { describe, expect, it } from 'vitest';
import { monotonePath } from '../../../dashboards/charts/sparkline-path.ts';

describe("the overview tiles' sparkline path", () => {
  it('is a monotone cubic through every point: flat where the data turns, no overshoot', () => {
    // slopes 1, 0, −1: the tangents are 1.5 (end), 0, 0 (turns), −1.5 (end), worked out by hand
    expect(
      monotonePath([
        [0, 0],
        [1, 1],
        [2, 1],
        [3, 0],
      ]),
    ).toBe(
      'M0.00,0.00C0.33,0.50,0.67,1.00,1.00,1.00C1.33,1.00,1.67,1.00,2.00,1.00C2.33,1.00,2.67,0.50,3.00,0.00',
    );
  });

  it('two points make a straight segment; one point or none draw nothing visible', () => {
    expect(
      monotonePath([
        [0, 0],
        [3, 6],
      ]),
    ).toBe('M0.00,0.00C1.00,2.00,2.00,4.00,3.00,6.00');
    expect(monotonePath([[1, 2]])).toBe('M1.00,2.00');
    expect(monotonePath([])).toBe('');
  });
});
