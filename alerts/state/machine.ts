/**
 * The life of one alert (a rule, or one group of a rule with a breakdown), pure: the previous state, an
 * observation and the time in; the next state and the notices to send out.
 *
 *   ok ──true──► pending ──true for `for`──► firing ──false──► resolved ──false for `for`──► ok
 *                  │ false → ok                ▲                   │ true
 *                  └───────────────────────────┴───────────────────┘ (back to firing, no notice)
 *
 * - `firing` is notified once when it starts; a `reminder` follows each `repeat` while it keeps firing.
 * - `resolved` is notified when the condition has stayed false for the `for` window (then the alert is
 *   ok again): a rule that resolves and fires again within that window sends neither a resolved nor a
 *   second firing notice, and "notify once" re-arms only once the value has recovered.
 * - An unknown condition (fewer than `min_n` rows, no data) changes nothing: it neither fires, nor
 *   resolves, nor reminds.
 * - A silence (until a time) suppresses every notice while it lasts; a firing never notified because of
 *   it is notified when the silence ends and the alert still fires. An acknowledgement suppresses the
 *   firing notice and the reminders of the current episode; it ends with the episode. A resolved
 *   notice is sent only for an episode whose firing was notified.
 * - `seq` counts the changes that must happen once across evaluators (a phase change, a notice, an
 *   acknowledgement or silence): a store claims `rule × group × seq` before acting on a step.
 */

export type Phase = 'ok' | 'pending' | 'firing' | 'resolved';
export type NoticeKind = 'firing' | 'reminder' | 'resolved';

/** true: the rule's condition holds; false: it does not; unknown: too few rows to say. */
export type Condition = true | false | 'unknown';

export interface Observation {
  value: number | null;
  n: number | null;
  condition: Condition;
}

export interface Acknowledgement {
  by: string;
  at: Date;
  why: string;
}

export interface Silence {
  until: Date;
  by: string;
  why: string;
}

export interface AlertState {
  phase: Phase;
  /** when the current phase began */
  since: Date;
  /** the number of the last change that was claimed */
  seq: number;
  value: number | null;
  n: number | null;
  evaluatedAt: Date | null;
  /** the firing of this episode was notified (the resolved notice is owed) */
  notifiedFiring: boolean;
  lastNotice: NoticeKind | null;
  lastNotifiedAt: Date | null;
  ack: Acknowledgement | null;
  silence: Silence | null;
}

export interface Timing {
  forMs: number;
  repeatMs: number;
}

export interface Step {
  state: AlertState;
  /** the phase change of this step, if any */
  transition: { from: Phase; to: Phase } | null;
  /** the notices to send: at most one */
  notices: NoticeKind[];
  /** a notice a phase change owed but a silence or an acknowledgement held back (for the history) */
  suppressed: NoticeKind | null;
  /** the step changed what must happen once (`state.seq` advanced): claim it before acting */
  claim: boolean;
}

/** The state of an alert never evaluated. */
export function initialState(now: Date): AlertState {
  return {
    phase: 'ok',
    since: now,
    seq: 0,
    value: null,
    n: null,
    evaluatedAt: null,
    notifiedFiring: false,
    lastNotice: null,
    lastNotifiedAt: null,
    ack: null,
    silence: null,
  };
}

/** Whether a silence is in force at `now`. */
export function silenced(s: AlertState, now: Date): boolean {
  return s.silence !== null && now.getTime() < s.silence.until.getTime();
}

/** The phase that follows `prev` under `c` at `now` (no notices). */
function nextPhase(prev: AlertState, c: Condition, t: Timing, now: Date): Phase {
  if (c === 'unknown') return prev.phase;
  const held = now.getTime() - prev.since.getTime() >= t.forMs;
  switch (prev.phase) {
    case 'ok':
      return c ? (t.forMs === 0 ? 'firing' : 'pending') : 'ok';
    case 'pending':
      return c ? (held ? 'firing' : 'pending') : 'ok';
    case 'firing':
      return c ? 'firing' : t.forMs === 0 ? 'ok' : 'resolved';
    case 'resolved':
      return c ? 'firing' : held ? 'ok' : 'resolved';
  }
}

/** The notice an alert now owes, before silences and acknowledgements. */
function owed(prev: AlertState, phase: Phase, t: Timing, now: Date): NoticeKind | null {
  if (phase === 'firing') {
    if (!prev.notifiedFiring) return 'firing';
    const last = prev.lastNotifiedAt?.getTime() ?? 0;
    return now.getTime() - last >= t.repeatMs && prev.phase === 'firing' ? 'reminder' : null;
  }
  if (phase === 'ok' && (prev.phase === 'resolved' || prev.phase === 'firing') && prev.notifiedFiring)
    return 'resolved';
  return null;
}

/** One evaluation: the next state and what to send. */
export function step(prev: AlertState, obs: Observation, t: Timing, now: Date): Step {
  const phase = nextPhase(prev, obs.condition, t, now);
  const changed = phase !== prev.phase;
  // unknown holds everything, reminders included; a late firing notice (silence over) still goes
  const notice = obs.condition === 'unknown' && prev.notifiedFiring ? null : owed(prev, phase, t, now);
  const quiet = silenced(prev, now) || (prev.ack !== null && notice !== 'resolved');
  const send = notice !== null && !quiet ? notice : null;
  const episodeOver = phase === 'ok';
  const state: AlertState = {
    ...prev,
    phase,
    since: changed ? now : prev.since,
    value: obs.value,
    n: obs.n,
    evaluatedAt: now,
    notifiedFiring: episodeOver ? false : prev.notifiedFiring || send === 'firing',
    lastNotice: send ?? prev.lastNotice,
    lastNotifiedAt: send ? now : prev.lastNotifiedAt,
    ack: episodeOver ? null : prev.ack,
    silence: silenced(prev, now) ? prev.silence : null,
  };
  const claim = changed || send !== null;
  if (claim) state.seq = prev.seq + 1;
  return {
    state,
    transition: changed ? { from: prev.phase, to: phase } : null,
    notices: send ? [send] : [],
    suppressed: notice !== null && send === null && changed ? notice : null,
    claim,
  };
}

/** Acknowledge a pending or firing alert (null when there is nothing to acknowledge). */
export function acknowledge(prev: AlertState, ack: Acknowledgement): AlertState | null {
  if (prev.phase !== 'pending' && prev.phase !== 'firing') return null;
  return { ...prev, ack, seq: prev.seq + 1 };
}

/** Silence an alert until a time (whatever its phase), or lift its silence with `null`. */
export function silence(prev: AlertState, s: Silence | null): AlertState {
  return { ...prev, silence: s, seq: prev.seq + 1 };
}

/**
 * A group's state under its rule's own state (group `''`, where the API keeps a silence or an
 * acknowledgement set on the whole rule): a rule-level silence in force holds every group, those that
 * first appear later included (the later end wins when the group has its own); a rule-level
 * acknowledgement holds every group while it lasts, groups that start firing after it included (the evaluator ends it when no group of the rule is pending or firing: the rule's episode).
 */
export function underRule(group: AlertState, whole: AlertState | null, now: Date): AlertState {
  if (whole === null) return group;
  const ruleSilence = silenced(whole, now) ? whole.silence : null;
  const silence =
    ruleSilence && !(silenced(group, now) && group.silence!.until >= ruleSilence.until)
      ? ruleSilence
      : group.silence;
  // an ok group takes it too, so that one firing at once (`for: 0s`) is held; it ends with its episode
  const ack = group.ack ?? whole.ack;
  return silence === group.silence && ack === group.ack ? group : { ...group, silence, ack };
}

/**
 * The silence every group of a rule carries, in force at `now` (null when some group has none or
 * another): how a silence set on the whole rule after its groups were known reads — the API writes it
 * on each known group — so that groups first seen later are held by it too.
 */
export function commonSilence(groups: readonly AlertState[], now: Date): Silence | null {
  const [first] = groups;
  if (!first || !silenced(first, now)) return null;
  const s = first.silence!;
  const same = (g: AlertState) =>
    g.silence !== null &&
    g.silence.until.getTime() === s.until.getTime() &&
    g.silence.by === s.by &&
    g.silence.why === s.why;
  return groups.every(same) ? s : null;
}
