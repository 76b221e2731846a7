import type { Category, Channel, CxEvent, Priority } from '../ingest/events.ts';
import {
  ASYNC_CHANNELS,
  CALLBACK_AFTER_ABANDON,
  FCR_CATEGORY_SHIFT,
  FIRST_RESPONSE,
  PHONE_ABANDON,
  RESOLUTION_MEDIAN_H,
} from './calibration.ts';
import { DAY, HOUR, HOUR_SHARE, MIN, SEC, isOpenHour } from './clock.ts';
import { clamp } from './draws.ts';
import { experience } from './experience.ts';
import {
  categoryMix,
  channelDay,
  channelDayVip,
  channelNight,
  complaintFailureMix,
  failureMix,
  priorityMix,
  severityMix,
  type FailureMode,
} from './mix.ts';
import { must } from './must.ts';
import type { SlaPolicy } from './options.ts';
import {
  CHURN_BUMP_NOT_FIRST_CONTACT,
  CHURN_BUMP_UNHAPPY,
  CHURN_BUMP_UNRESOLVED,
  CHURN_BUMP_UNRESOLVED_COMPLAINT,
  addContact,
  fcrBase,
  maybeChurn,
} from './planted.ts';
import { ESCALATION_TEAM } from './teams.ts';
import { ESCALATION_REASONS, REOPEN_REASONS, RESOLUTION_CODES, SUBJECTS, TRANSFER_REASONS } from './texts.ts';
import type { Contact, Open, OpenSink, World } from './world.ts';

/**
 * One interaction, simulated to its end at once: opened, abandoned or answered, transferred or escalated,
 * resolved (or not), reopened, repeated; then the experience (follow-up, surveys) and the churn it drives.
 * Contacts it causes (a call-back, a repeat contact) go into `q` when they open before `slotEnd`.
 */
export function simulateInteraction(w: World, o: Open, q: OpenSink, slotEnd: number): void {
  const c = openContact(w, o);
  if (c === undefined) return;
  if (abandoned(w, c, q, slotEnd)) return;
  const { t1, slow } = firstResponse(w, c);
  const mode = failureMode(w, c);
  const unresolved = w.draws.u() < (c.complaint ? (c.severity === 'crisis' ? 0.2 : 0.1) : 0.015);
  const { tw, handler } = handOver(w, c, mode, t1);
  if (unresolved) {
    // An open complaint is the strongest churn signal there is.
    maybeChurn(
      w,
      c.cust,
      c.t0 + 3 * DAY,
      c.complaint ? CHURN_BUMP_UNRESOLVED_COMPLAINT : CHURN_BUMP_UNRESOLVED,
      c.complaint,
    );
    return;
  }
  const tr = resolution(w, c, mode, tw, handler, q, slotEnd);
  const unhappy = experience(w, c, { mode, slow, resolvedAt: tr, handler });
  const bump = (mode === undefined ? 0 : CHURN_BUMP_NOT_FIRST_CONTACT) + (unhappy ? CHURN_BUMP_UNHAPPY : 0);
  maybeChurn(w, c.cust, tr, bump, false);
}

/** Draws what the contact is about and who takes it, and emits `interaction.opened`; none once churned. */
function openContact(w: World, o: Open): Contact | undefined {
  const { cust, t: t0 } = o;
  if (cust.churnAt <= t0) return undefined;
  const { r, draws, staff } = w;
  const u = draws.u;
  const id = w.nextInteractionId();
  const hourIdx = Math.floor((t0 - r.start) / HOUR);
  const localHour = must(w.hours.hour[hourIdx], 'hour');
  const open = isOpenHour(localHour);

  const channel =
    o.channel ?? (open ? (cust.segment === 'vip' ? channelDayVip : channelDay) : channelNight).draw(u());
  const category = o.category ?? categoryMix.draw(u());
  const complaint = category === 'complaint';
  const severity = complaint ? severityMix.draw(u()) : undefined;
  let priority = priorityMix.draw(u());
  if (severity === 'crisis') priority = 'urgent';
  else if (severity === 'major' && (priority === 'low' || priority === 'normal')) priority = 'high';
  const team = staff.teamFor(channel, complaint);
  const agent = staff.agent(team);
  const live = !ASYNC_CHANNELS.has(channel);

  // Contact load, decayed since the last contact: the planted churn driver.
  addContact(cust, t0);

  const c: Contact = {
    id,
    t0,
    cust,
    channel,
    category,
    complaint,
    severity,
    priority,
    team,
    agent,
    live,
    localHour,
  };
  const opened: CxEvent = {
    event_id: '',
    type: 'interaction.opened',
    occurred_at: '',
    interaction_id: id,
    customer_id: cust.id,
    channel,
    category,
    priority,
    team_id: team,
    subject: draws.pick(SUBJECTS[category]),
  };
  // As real producers do: a contact on a live channel is routed to an agent when it opens; a message
  // (email, social, self-service) gets its agent when someone answers it (or, self-service, resolves it).
  if (live) opened.agent_id = agent;
  if (severity) opened.severity = severity;
  w.push(t0, opened);
  return c;
}

/** A phone call abandoned in the queue (and maybe called back); true when it was. */
function abandoned(w: World, c: Contact, q: OpenSink, slotEnd: number): boolean {
  const { u, normal, expo } = w.draws;
  if (!(c.channel === 'phone' && u() < PHONE_ABANDON)) return false;
  const { t0, cust, category } = c;
  const wait = Math.max(5, 55 * Math.exp(0.6 * normal()));
  w.push(t0 + wait * SEC, {
    event_id: '',
    type: 'interaction.abandoned',
    occurred_at: '',
    interaction_id: c.id,
    wait_seconds: Math.round(wait),
  });
  if (u() < CALLBACK_AFTER_ABANDON)
    w.scheduleOpen(q, slotEnd, t0 + wait * SEC + (1 + 30 * expo()) * MIN, cust, category, 'phone');
  maybeChurn(w, cust, t0 + 3 * DAY, 0, false);
  return true;
}

/**
 * First response: lognormal per channel, a little slower at peak hours on live channels, and now and then
 * an overload that breaches the SLA. Urgent things jump the queue of slow channels.
 */
function firstResponse(w: World, c: Contact): { t1: number; slow: boolean } {
  const { u, normal } = w.draws;
  const { channel, category, priority } = c;
  const fr = FIRST_RESPONSE[channel];
  let median = fr.median;
  let sigma = fr.sigma;
  if (!c.live && (c.complaint || priority === 'high' || priority === 'urgent')) {
    median = 1800;
    sigma = 0.6;
  }
  if (channel === 'phone' || channel === 'chat')
    median *= 0.7 + 0.3 * 24 * must(HOUR_SHARE[c.localHour], 'share');
  let frDelay = median * Math.exp(sigma * normal());
  if (u() < 0.04) frDelay *= Math.exp(1.5 + 0.5 * normal());
  const t1 = c.t0 + Math.max(1, frDelay) * SEC;
  w.push(t1, {
    event_id: '',
    type: 'interaction.first_response',
    occurred_at: '',
    interaction_id: c.id,
    ...(channel === 'self_service' ? {} : { agent_id: c.agent }),
    team_id: c.team,
  });
  return { t1, slow: frDelay > slaTargetSeconds(w.r.sla, channel, category, priority) };
}

/** How the contact fails to be resolved at first contact, if it does; the planted process change lives here. */
function failureMode(w: World, c: Contact): FailureMode | undefined {
  const { u } = w.draws;
  // First-contact resolution, the planted process change: t2 gets better from `changeAt` on.
  const base = fcrBase(c.team, c.t0, w.r.changeAt);
  const pFcr = clamp(
    base + FCR_CATEGORY_SHIFT[c.category] + w.staff.skillOf(c.agent) - (c.severity === 'crisis' ? 0.1 : 0),
    0.2,
    0.97,
  );
  if (u() >= pFcr)
    return c.severity === 'crisis' && u() < 0.7
      ? 'escalate'
      : (c.complaint ? complaintFailureMix : failureMix).draw(u());
  return undefined;
}

/** A transfer to another team or an escalation to the complaint desk: when the work starts, and by whom. */
function handOver(
  w: World,
  c: Contact,
  mode: FailureMode | undefined,
  t1: number,
): { tw: number; handler: string } {
  const { draws, staff } = w;
  const { normal } = draws;
  const { id, team, live } = c;
  let tw = t1;
  let handler = c.agent;
  if (mode === 'transfer') {
    tw += (live ? 4 * MIN : 2 * HOUR) * Math.exp(0.7 * normal()) + 30 * SEC;
    const to = staff.otherTeam(team);
    w.push(tw, {
      event_id: '',
      type: 'interaction.transferred',
      occurred_at: '',
      interaction_id: id,
      from_team_id: team,
      to_team_id: to,
      reason: draws.pick(TRANSFER_REASONS),
    });
    handler = staff.agent(to);
  } else if (mode === 'escalate') {
    tw += (live ? 20 * MIN : 3 * HOUR) * Math.exp(0.8 * normal()) + MIN;
    const escalated: CxEvent = {
      event_id: '',
      type: 'interaction.escalated',
      occurred_at: '',
      interaction_id: id,
      severity: c.severity ?? (c.priority === 'urgent' ? 'crisis' : 'major'),
      reason: draws.pick(ESCALATION_REASONS),
    };
    // The complaint desk escalates to its own supervisors, not to another team.
    if (team !== ESCALATION_TEAM) escalated.to_team_id = ESCALATION_TEAM;
    w.push(tw, escalated);
    handler = staff.agent(ESCALATION_TEAM);
  }
  return { tw, handler };
}

/** Resolved (again after a reopen), or followed by a repeat contact; returns when it was (last) resolved. */
function resolution(
  w: World,
  c: Contact,
  mode: FailureMode | undefined,
  tw: number,
  handler: string,
  q: OpenSink,
  slotEnd: number,
): number {
  const { draws, hours } = w;
  const { u, normal, expo } = draws;
  const { id, category } = c;
  const resMedian =
    RESOLUTION_MEDIAN_H[category] *
    HOUR *
    (c.live ? 1 : 2.5) *
    (mode === 'transfer' || mode === 'escalate' ? 1.5 : 1);
  let tr = hours.backOffice(tw, Math.max(30 * SEC, resMedian * Math.exp(normal())), u);
  const code = draws.pick(RESOLUTION_CODES[category]);
  w.push(tr, resolvedEvent(id, handler, code));
  if (mode === 'reopen') {
    const tro = tr + Math.max(10 * MIN, 30 * HOUR * expo());
    w.push(tro, {
      event_id: '',
      type: 'interaction.reopened',
      occurred_at: '',
      interaction_id: id,
      reason: draws.pick(REOPEN_REASONS),
    });
    tr = hours.backOffice(tro, Math.max(5 * MIN, 10 * HOUR * Math.exp(0.9 * normal())), u);
    w.push(tr, resolvedEvent(id, handler, code));
  } else if (mode === 'repeat') {
    // The customer comes back about the same thing within the FCR window (7 days).
    let gap = 1.5 * DAY * Math.exp(0.9 * normal());
    if (gap > 6.8 * DAY) gap = (1 + 150 * u()) * HOUR;
    w.scheduleOpen(
      q,
      slotEnd,
      hours.openingHours(tr + Math.max(10 * MIN, gap), u),
      c.cust,
      category,
      u() < 0.6 ? c.channel : undefined,
    );
  }
  return tr;
}

function resolvedEvent(id: string, handler: string, code: string): CxEvent {
  return {
    event_id: '',
    type: 'interaction.resolved',
    occurred_at: '',
    interaction_id: id,
    agent_id: handler,
    resolution_code: code,
  };
}

/**
 * The first-response target of the configured SLA policy: the channel's (or `*`'s), tightened to the urgent
 * target for complaints and high or urgent requests — as the KPI facts judge it (`metrics/query/facts.ts`).
 */
function slaTargetSeconds(sla: SlaPolicy, channel: Channel, category: Category, priority: Priority): number {
  const byChannel = sla.firstResponseSeconds[channel] ?? must(sla.firstResponseSeconds['*'], 'SLA target');
  return category === 'complaint' || priority === 'high' || priority === 'urgent'
    ? Math.min(byChannel, sla.urgentSeconds)
    : byChannel;
}
