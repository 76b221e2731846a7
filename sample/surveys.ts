import type { CxEvent } from '../ingest/events.ts';
import { SURVEY_RATE } from './calibration.ts';
import { HOUR, MIN } from './clock.ts';
import { clamp, pickScore } from './draws.ts';
import { COMMENTS } from './texts.ts';
import type { Contact, World } from './world.ts';

/**
 * The surveys a resolved interaction gets (CSAT, NPS, CES, each with its own response rate), their scores
 * worse with a higher `penalty`. True when a CSAT of 1–2 or an NPS of 0–4 says the customer was unhappy.
 */
export function surveys(w: World, c: Contact, resolvedAt: number, penalty: number): boolean {
  const { u } = w.draws;
  const lang = u() < 0.96 ? 'zh-CN' : 'en';
  let unhappy = false;
  if (u() < SURVEY_RATE.csat) unhappy = csat(w, c, resolvedAt, penalty, lang) <= 2;
  if (u() < SURVEY_RATE.nps) unhappy = nps(w, c, resolvedAt, penalty, lang) <= 4 || unhappy;
  if (u() < SURVEY_RATE.ces) ces(w, c, resolvedAt, penalty, lang);
  return unhappy;
}

function csat(w: World, c: Contact, resolvedAt: number, penalty: number, lang: string): number {
  const { draws } = w;
  const { u } = draws;
  const q2 = clamp(0.96 - penalty, 0.1, 0.99);
  const score = u() < q2 ? (u() < 0.62 ? 5 : 4) : pickScore(u(), [0.2, 0.3, 0.5], 1);
  const mood = score >= 4 ? 'good' : score === 3 ? 'neutral' : 'bad';
  const ev: CxEvent = {
    event_id: '',
    type: 'survey.responded',
    occurred_at: '',
    customer_id: c.cust.id,
    survey: 'csat',
    score,
    interaction_id: c.id,
    channel: c.channel,
    language: lang,
  };
  if (u() < 0.08) ev.comment = draws.pick(COMMENTS[mood]);
  w.push(surveyTime(w, resolvedAt), ev);
  return score;
}

function nps(w: World, c: Contact, resolvedAt: number, penalty: number, lang: string): number {
  const { u } = w.draws;
  const pProm = clamp(0.6 - 1.5 * penalty, 0.05, 0.9);
  const pDet = clamp(0.14 + 1.5 * penalty, 0.05, 0.9);
  const v = u();
  const score =
    v < pProm
      ? u() < 0.45
        ? 10
        : 9
      : v < 1 - pDet
        ? u() < 0.55
          ? 8
          : 7
        : pickScore(u(), [0.03, 0.02, 0.04, 0.06, 0.1, 0.25, 0.5], 0);
  w.push(surveyTime(w, resolvedAt), responded(c, 'nps', score, lang));
  return score;
}

function ces(w: World, c: Contact, resolvedAt: number, penalty: number, lang: string): void {
  // CES 2.0 wording ("the company made it easy to handle my issue"): 7 = easiest.
  const score = Math.round(clamp(6 - 6 * penalty + 0.9 * w.draws.normal(), 1, 7));
  w.push(surveyTime(w, resolvedAt), responded(c, 'ces', score, lang));
}

function responded(c: Contact, survey: 'nps' | 'ces', score: number, lang: string): CxEvent {
  return {
    event_id: '',
    type: 'survey.responded',
    occurred_at: '',
    customer_id: c.cust.id,
    survey,
    score,
    interaction_id: c.id,
    channel: c.channel,
    language: lang,
  };
}

/** A survey is answered a while after the resolution. */
function surveyTime(w: World, resolvedAt: number): number {
  return resolvedAt + Math.max(MIN, 2 * HOUR * Math.exp(1.2 * w.draws.normal()));
}
