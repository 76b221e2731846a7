import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  initialState,
  silence,
  step,
  type AlertState,
  type Condition,
  type NoticeKind,
  type Phase,
} from '../../../alerts/state/machine.ts';

const T0 = Date.parse('2026-03-02T01:00:00Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const timing = { forMs: 5 * MIN, repeatMs: 60 * MIN };
const obs = (condition: Condition, value = 80) => ({ value, n: 100, condition });

/** Run a script of (minute, condition) observations; every step's phase and notices. */
function run(script: [number, Condition][], start: AlertState = initialState(at(0)), t = timing) {
  let s = start;
  const out: { m: number; phase: Phase; notices: NoticeKind[]; seq: number }[] = [];
  for (const [m, c] of script) {
    const r = step(s, obs(c), t, at(m));
    s = r.state;
    out.push({ m, phase: s.phase, notices: r.notices, seq: s.seq });
  }
  return { out, state: s, sent: out.flatMap((o) => o.notices.map((k) => `${o.m}:${k}`)) };
}

describe('alert state machine', () => {
  it('ok → pending → firing after `for` → resolved → ok after `for`: one firing, one resolved notice', () => {
    const r = run([
      [0, false],
      [1, true],
      [3, true],
      [6, true],
      [7, false],
      [10, false],
      [12, false],
    ]);
    expect(r.out.map((o) => o.phase)).toEqual([
      'ok',
      'pending',
      'pending',
      'firing',
      'resolved',
      'resolved',
      'ok',
    ]);
    expect(r.sent).toEqual(['6:firing', '12:resolved']);
  });

  it('pending that clears before `for` goes back to ok and notifies nothing', () => {
    const r = run([
      [0, true],
      [4, true],
      [4.5, false],
      [20, false],
    ]);
    expect(r.out.map((o) => o.phase)).toEqual(['pending', 'pending', 'ok', 'ok']);
    expect(r.sent).toEqual([]);
  });

  it('`for: 0` fires at the first true and resolves at the first false', () => {
    const r = run(
      [
        [0, true],
        [1, false],
      ],
      initialState(at(0)),
      { forMs: 0, repeatMs: 60 * MIN },
    );
    expect(r.out.map((o) => o.phase)).toEqual(['firing', 'ok']);
    expect(r.sent).toEqual(['0:firing', '1:resolved']);
  });

  it('flapping: resolving and firing again within `for` sends neither a resolved nor a second firing notice', () => {
    const r = run([
      [0, true],
      [5, true], // fires
      [6, false],
      [8, true], // back within 5 minutes of resolving
      [9, false],
      [10, true],
      [11, false],
      [16, false], // clear for 5 minutes: resolved
    ]);
    expect(r.sent).toEqual(['5:firing', '16:resolved']);
    expect(r.out.map((o) => o.phase)).toEqual([
      'pending',
      'firing',
      'resolved',
      'firing',
      'resolved',
      'firing',
      'resolved',
      'ok',
    ]);
  });

  it('"notify once" re-arms only after the value recovered: a new episode notifies again', () => {
    const r = run([
      [0, true],
      [5, true],
      [6, false],
      [11, false], // recovered
      [12, true],
      [17, true],
    ]);
    expect(r.sent).toEqual(['5:firing', '11:resolved', '17:firing']);
  });

  it('reminds after each `repeat` while firing, not before', () => {
    const r = run([
      [0, true],
      [5, true],
      [30, true],
      [64, true],
      [65, true],
      [100, true],
      [125, true],
    ]);
    expect(r.sent).toEqual(['5:firing', '65:reminder', '125:reminder']);
  });

  it('an unknown condition (n < min_n) neither fires, resolves nor reminds', () => {
    const ok = run([
      [0, 'unknown'],
      [10, 'unknown'],
    ]);
    expect(ok.out.map((o) => o.phase)).toEqual(['ok', 'ok']);
    const firing = run([
      [0, true],
      [5, true],
      [6, 'unknown'],
      [100, 'unknown'],
    ]);
    expect(firing.out.map((o) => o.phase)).toEqual(['pending', 'firing', 'firing', 'firing']);
    expect(firing.sent).toEqual(['5:firing']);
    // pending waits for a true observation after `for`
    const pending = run([
      [0, true],
      [10, 'unknown'],
      [11, true],
    ]);
    expect(pending.out.map((o) => o.phase)).toEqual(['pending', 'pending', 'firing']);
  });

  it('records the value and n of every observation', () => {
    const r = step(initialState(at(0)), { value: 71.5, n: 12, condition: 'unknown' }, timing, at(1));
    expect(r.state).toMatchObject({ value: 71.5, n: 12, evaluatedAt: at(1), phase: 'ok' });
    expect(r.claim).toBe(false);
  });

  it('advances seq (the claim) exactly on phase changes and notices', () => {
    const r = run([
      [0, false], // nothing
      [1, true], // → pending
      [2, true], // nothing
      [6, true], // → firing + notice
      [7, true], // nothing
      [66, true], // reminder
    ]);
    expect(r.out.map((o) => o.seq)).toEqual([0, 1, 1, 2, 2, 3]);
  });

  it('a silence suppresses every notice and is kept in the state; the firing is notified when it ends', () => {
    const s = silence(initialState(at(0)), { until: at(30), by: 'li.na', why: '系统维护' });
    const r = run(
      [
        [0, true],
        [5, true],
        [20, true],
        [31, true],
      ],
      s,
    );
    expect(r.out.map((o) => o.phase)).toEqual(['pending', 'firing', 'firing', 'firing']);
    expect(r.sent).toEqual(['31:firing']);
    expect(r.state.silence).toBeNull(); // expired
    const during = step(s, obs(true), timing, at(1)).state;
    expect(during.silence).toEqual({ until: at(30), by: 'li.na', why: '系统维护' });
    // the step that fires under the silence says what it held back
    const fired = step({ ...during, since: at(0) }, obs(true), timing, at(6));
    expect(fired.suppressed).toBe('firing');
    expect(fired.notices).toEqual([]);
  });

  it('an episode silenced from start to end sends no resolved notice either', () => {
    const s = silence(initialState(at(0)), { until: at(100), by: 'a', why: 'b' });
    const r = run(
      [
        [0, true],
        [5, true],
        [6, false],
        [11, false],
        [200, false],
      ],
      s,
    );
    expect(r.sent).toEqual([]);
    expect(r.state.phase).toBe('ok');
  });

  it('an acknowledgement stops reminders, still sends the resolved notice, and ends with the episode', () => {
    let r = run([
      [0, true],
      [5, true],
    ]);
    const acked = acknowledge(r.state, { by: 'wang.wei', at: at(6), why: '在处理' });
    expect(acked).not.toBeNull();
    expect(acked!.seq).toBe(r.state.seq + 1);
    r = run(
      [
        [70, true],
        [140, true],
        [141, false],
        [146, false],
      ],
      acked!,
    );
    expect(r.sent).toEqual(['146:resolved']);
    expect(r.state.ack).toBeNull();
    // a new episode is not acknowledged
    const again = run(
      [
        [150, true],
        [155, true],
      ],
      r.state,
    );
    expect(again.sent).toEqual(['155:firing']);
  });

  it('only a pending or firing alert can be acknowledged', () => {
    expect(acknowledge(initialState(at(0)), { by: 'a', at: at(0), why: '' })).toBeNull();
  });

  it('lifting a silence is a claimed change', () => {
    const s = silence(initialState(at(0)), { until: at(30), by: 'a', why: 'b' });
    const lifted = silence(s, null);
    expect(lifted.silence).toBeNull();
    expect(lifted.seq).toBe(2);
  });
});
