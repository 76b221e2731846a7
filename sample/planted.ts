import { DAY, HOUR } from './clock.ts';
import { resolve, type SampleOptions } from './options.ts';
import { TEAMS, type Team } from './teams.ts';
import type { Customer, World } from './world.ts';

/**
 * The two effects planted for the analytics to find: a process change that lifts first-contact resolution
 * in team t2 half-way through the window, and churn driven by how often a customer must contact the centre
 * and by complaints left unresolved.
 */

export interface PlantedEffects {
  processChange: {
    id: string;
    title: string;
    startsAt: string /* ISO */;
    teamId: string;
    otherTeamIds: string[];
    fcrBefore: number;
    fcrAfter: number;
  };
  contactChurn: { description: string };
}

/** The team whose process change is planted. */
const CHANGE_TEAM: Team = 't2';
const FCR_BEFORE = 0.7;
const FCR_AFTER = 0.85;

/**
 * The planted churn driver. After each contact a customer churns (some days later) with probability
 * CHURN_PER_LOAD · (load − 1) + bumps, where `load` is their contact count decayed with a 30-day time
 * constant: the first contact in a while costs nothing, a burst of contacts a lot. No base rate per contact,
 * so that the people who churn after one contact are few and the gradient over contact counts stays clear.
 * Tuned so 5–7 % of customers churn in 120 days and those with 4+ contacts churn several times as often as
 * those with one.
 */
const CONTACT_LOAD_TAU = 30 * DAY;
const CHURN_PER_LOAD = 0.002;
const CHURN_MAX_PER_CONTACT = 0.3;
export const CHURN_BUMP_UNRESOLVED_COMPLAINT = 0.12;
export const CHURN_BUMP_UNRESOLVED = 0.02;
export const CHURN_BUMP_NOT_FIRST_CONTACT = 0.002;
export const CHURN_BUMP_UNHAPPY = 0.01;

/**
 * What the generator plants for the analytics to find, with the probabilities it uses. `fcrBefore`/`fcrAfter`
 * are the chances that an interaction of the team is resolved without transfer, escalation, reopen or a repeat
 * contact it causes. The `fcr` KPI of docs/metrics.md (any contact of the same customer in the same category within
 * 7 days counts against it) comes out lower, because customers also come back by coincidence: about 60 % → 76 %
 * for t2 and a flat ~60 % elsewhere at 4,000 customers × 120 days; the simple proxy "resolved, never reopened,
 * transferred or escalated" reads about 81 % → 90 % for t2.
 */
export function plantedEffects(opts: SampleOptions): PlantedEffects {
  const r = resolve(opts);
  return {
    processChange: {
      id: 'pc-t2-one-touch',
      title: 'Team t2: one-touch resolution (case ownership, knowledge base at first contact)',
      startsAt: new Date(r.changeAt).toISOString(),
      teamId: CHANGE_TEAM,
      otherTeamIds: TEAMS.filter((t) => t !== CHANGE_TEAM),
      fcrBefore: FCR_BEFORE,
      fcrAfter: FCR_AFTER,
    },
    contactChurn: {
      description:
        'Churn rises with contact load: after each contact a customer churns, some days later, with a ' +
        `probability of ${CHURN_PER_LOAD} × (recent contacts − 1), counting contacts with a 30-day exponential ` +
        `memory, plus ${CHURN_BUMP_UNRESOLVED_COMPLAINT} when a complaint is left unresolved and a little for a ` +
        'reopen, transfer, escalation, repeat contact or poor survey score. About 6 % of customers churn in 120 ' +
        'days; those with 4+ contacts several times as often as those with one. A small background churn ' +
        '(price, moving) is independent of service.',
    },
  };
}

/** The planted process change: the base first-contact-resolution probability of a team's contact at `t`. */
export function fcrBase(team: Team, t: number, changeAt: number): number {
  return team === CHANGE_TEAM && t >= changeAt ? FCR_AFTER : FCR_BEFORE;
}

/** Counts a contact at `t` into the customer's load, decayed since the last contact. */
export function addContact(cust: Customer, t: number): void {
  cust.load = cust.load * Math.exp(-(t - cust.lastContact) / CONTACT_LOAD_TAU) + 1;
  cust.lastContact = t;
}

/**
 * The planted driver: after each contact, churn with a probability that grows with the customer's recent
 * contact load, plus `bump` for a bad experience; it happens some days after `from`.
 */
export function maybeChurn(
  w: World,
  cust: Customer,
  from: number,
  bump: number,
  unresolvedComplaint: boolean,
): void {
  const { u, expo } = w.draws;
  const p = Math.min(CHURN_MAX_PER_CONTACT, CHURN_PER_LOAD * Math.max(0, cust.load - 1) + bump);
  if (u() >= p) return;
  const reason = unresolvedComplaint
    ? 'unresolved_complaint'
    : u() < 0.6
      ? 'poor_service'
      : 'switched_to_competitor';
  w.intendChurn(cust, from + HOUR + 10 * DAY * expo(), reason);
}
