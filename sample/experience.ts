import { DAY, HOUR } from './clock.ts';
import { clamp } from './draws.ts';
import type { FailureMode } from './mix.ts';
import { surveys } from './surveys.ts';
import type { Contact, World } from './world.ts';

/** How a resolved interaction went for the customer. */
export interface Outcome {
  mode: FailureMode | undefined;
  /** the first response missed the SLA target */
  slow: boolean;
  resolvedAt: number;
  /** the agent who resolved it */
  handler: string;
}

/**
 * How the experience went: a follow-up call after a complaint, surveys whose scores follow it. True when the
 * customer came away unhappy (an unsatisfied follow-up, a CSAT of 1–2, an NPS of 0–4).
 */
export function experience(w: World, c: Contact, o: Outcome): boolean {
  const penalty = penaltyOf(c, o);
  const unhappy = c.complaint ? followUp(w, c, o, penalty) : false;
  return surveys(w, c, o.resolvedAt, penalty) || unhappy;
}

/** How much worse than a smooth contact it went, 0 to about 1. */
function penaltyOf(c: Contact, o: Outcome): number {
  const { mode } = o;
  const longResolution = o.resolvedAt - c.t0 > 3 * DAY;
  return (
    (o.slow ? 0.1 : 0) +
    (mode === 'transfer' ? 0.12 : 0) +
    (mode === 'escalate' ? 0.12 : 0) +
    (mode === 'reopen' ? 0.28 : 0) +
    (mode === 'repeat' ? 0.2 : 0) +
    (c.complaint ? 0.1 : 0) +
    (longResolution ? 0.08 : 0) +
    (c.severity === 'crisis' ? 0.1 : 0)
  );
}

/** The follow-up call after a resolved complaint, if there is one; true when the customer was unsatisfied. */
function followUp(w: World, c: Contact, o: Outcome, penalty: number): boolean {
  const { draws, hours } = w;
  const { u, expo } = draws;
  const tr = o.resolvedAt;
  const v = u();
  // Follow-up calls happen in opening hours; drawn within 40 h so that the night shift keeps ~80 % in 48 h.
  const tf =
    v < 0.8
      ? hours.openingHours(tr + (0.5 + 39.5 * u()) * HOUR, u)
      : v < 0.9
        ? hours.openingHours(tr + 48 * HOUR + 72 * HOUR * expo(), u)
        : undefined;
  if (tf === undefined) return false;
  const x = u();
  const pSat = clamp(0.72 - penalty, 0.15, 0.9);
  const outcome = x < pSat ? 'satisfied' : x < 0.85 ? 'unsatisfied' : 'unreachable';
  w.push(tf, {
    event_id: '',
    type: 'interaction.followed_up',
    occurred_at: '',
    interaction_id: c.id,
    outcome,
    agent_id: o.handler,
  });
  return outcome === 'unsatisfied';
}
