import { randomInt } from 'd3-random';
import type { Channel } from '../ingest/events.ts';
import type { Draws } from './draws.ts';
import { must } from './must.ts';

/** The centre's six teams of ten agents: who takes a contact, where transfers go, each agent's skill. */

export const TEAMS = ['t1', 't2', 't3', 't4', 't5', 't6'] as const;
export type Team = (typeof TEAMS)[number];
const AGENTS_PER_TEAM = 10;
/** The complaint desk; escalations go to it. */
export const ESCALATION_TEAM: Team = 't6';

export class Staff {
  private readonly pickAgent: () => number;
  /** Shift of each agent's first-contact-resolution probability, by agent index. */
  private readonly skill: number[] = [];

  constructor(private readonly draws: Draws) {
    this.pickAgent = randomInt.source(draws.u)(0, AGENTS_PER_TEAM);
    for (let i = 0; i < TEAMS.length * AGENTS_PER_TEAM; i++) this.skill.push(0.03 * draws.normal());
  }

  teamFor(channel: Channel, complaint: boolean): Team {
    const u = this.draws.u();
    // The complaint desk (t6) takes a quarter of the complaints that come in remotely.
    if (complaint && channel !== 'store' && channel !== 'advisor' && this.draws.u() < 0.25) return 't6';
    switch (channel) {
      case 'phone':
        return u < 0.5 ? 't1' : 't2';
      case 'chat':
        return u < 0.4 ? 't2' : 't3';
      case 'social':
        return 't3';
      case 'email':
      case 'self_service':
        return 't4';
      case 'store':
        return 't5';
      case 'advisor':
        return 't6';
    }
  }

  otherTeam(team: Team): Team {
    // Transfers go to the front-line and specialist teams t1–t5, never back to the same team.
    const choices = TEAMS.filter((t) => t !== team && t !== ESCALATION_TEAM);
    return must(choices[Math.floor(this.draws.u() * choices.length)], 'team');
  }

  /** An agent of the team: `a01`…`a60`, ten per team in order. */
  agent(team: Team): string {
    const n = TEAMS.indexOf(team) * AGENTS_PER_TEAM + this.pickAgent() + 1;
    return `a${String(n).padStart(2, '0')}`;
  }

  skillOf(agent: string): number {
    return must(this.skill[Number(agent.slice(1)) - 1], 'skill');
  }
}
