import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  commonSilence,
  initialState,
  silence,
  step,
  underRule,
  type AlertState,
} from '../../../alerts/state/machine.ts';

const T0 = Date.parse('2026-03-02T01:00:00Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const timing = { forMs: 0, repeatMs: 60 * MIN };
const firingObs = { value: 40, n: 100, condition: true } as const;

/** The rule's own state (group '') silenced from minute 0 to minute 60 by li. */
const wholeSilenced = (): AlertState =>
  silence(initialState(at(0)), { until: at(60), by: 'li', why: 'maintenance' });

describe('a rule-level silence or acknowledgement over the groups of a breakdown', () => {
  it('a group first seen under a rule-level silence fires without a notice, then notifies after it', () => {
    const whole = wholeSilenced();
    // the new group's first evaluation at minute 10: firing, held back
    const first = step(underRule(initialState(at(10)), whole, at(10)), firingObs, timing, at(10));
    expect(first.state.phase).toBe('firing');
    expect(first.notices).toEqual([]);
    expect(first.suppressed).toBe('firing');
    expect(first.state.silence).toMatchObject({ by: 'li', until: at(60) });
    // still held at minute 30
    expect(step(underRule(first.state, whole, at(30)), firingObs, timing, at(30)).notices).toEqual([]);
    // minute 61: the silence is over, the firing never notified goes now
    const after = step(underRule(first.state, whole, at(61)), firingObs, timing, at(61));
    expect(after.notices).toEqual(['firing']);
    expect(after.state.silence).toBeNull();
  });

  it('a group’s own later silence is kept; no rule-level state changes nothing', () => {
    const own = silence(initialState(at(0)), { until: at(120), by: 'wang', why: 'own' });
    expect(underRule(own, wholeSilenced(), at(10)).silence).toMatchObject({ by: 'wang' });
    const plain = initialState(at(0));
    expect(underRule(plain, null, at(10))).toBe(plain);
    // an expired rule-level silence holds nothing
    expect(underRule(plain, wholeSilenced(), at(61)).silence).toBeNull();
  });

  it('a rule-level acknowledgement holds every live group, one that starts firing after it included', () => {
    const firing = step(initialState(at(0)), firingObs, timing, at(0)).state;
    expect(firing.phase).toBe('firing');
    const whole = acknowledge(
      { ...initialState(at(0)), phase: 'firing' },
      { by: 'li', at: at(5), why: 'on it' },
    );
    expect(underRule(firing, whole!, at(6)).ack).toMatchObject({ by: 'li' });
    // a group first seen after the acknowledgement fires at once (`for: 0s`), held back
    const later = step(underRule(initialState(at(10)), whole!, at(10)), firingObs, timing, at(10));
    expect(later.state.phase).toBe('firing');
    expect(later.state.ack).toMatchObject({ by: 'li' });
    expect(later.notices).toEqual([]);
    expect(later.suppressed).toBe('firing');
    // with a `for`, pending first, then firing, held all along
    const slow = { forMs: 5 * MIN, repeatMs: 60 * MIN };
    const pending = step(underRule(initialState(at(10)), whole!, at(10)), firingObs, slow, at(10));
    expect(pending.state.phase).toBe('pending');
    const fired = step(underRule(pending.state, whole!, at(16)), firingObs, slow, at(16));
    expect([fired.state.phase, fired.notices]).toEqual(['firing', []]);
    // a group that stays ok carries nothing on
    const ok = step(
      underRule(initialState(at(10)), whole!, at(10)),
      { ...firingObs, condition: false },
      timing,
      at(10),
    );
    expect(ok.state.ack).toBeNull();
    // once the rule's episode is over (its acknowledgement ended), a new group notifies as usual
    expect(step(underRule(initialState(at(90)), null, at(90)), firingObs, timing, at(90)).notices).toEqual([
      'firing',
    ]);
  });
});

describe('the silence every group carries', () => {
  it('is the whole rule’s only when every group has the same one in force', () => {
    const li = { until: at(60), by: 'li', why: 'maintenance' };
    const a = silence(initialState(at(0)), li);
    const b = silence(initialState(at(0)), { ...li });
    expect(commonSilence([a, b], at(10))).toEqual(li);
    expect(commonSilence([a, initialState(at(0))], at(10))).toBeNull();
    expect(commonSilence([a, silence(initialState(at(0)), { ...li, why: 'other' })], at(10))).toBeNull();
    expect(commonSilence([a, b], at(61))).toBeNull();
    expect(commonSilence([], at(10))).toBeNull();
  });
});
