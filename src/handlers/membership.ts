/**
 * `membership` and `team`: a team changed, so its cached members are dropped (for every
 * replica: the cache lives in the database) and the organisation's open requests are
 * re-evaluated, because a departed approver must stop counting now, not after the TTL.
 */
import type { Context } from "probot";
import type { JobQueue } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";

export interface MembershipHandlerDeps {
  store: RequestStore;
  jobs: JobQueue;
  teams: TeamCache;
}

interface TeamPayload {
  installation?: { id: number };
  organization?: { login: string };
  team: { slug: string; name: string };
}

export function onTeamChanged(deps: MembershipHandlerDeps) {
  return async (context: Context<"membership" | "team">): Promise<void> => {
    const payload = context.payload as unknown as TeamPayload;
    const org = payload.organization?.login;
    if (org === undefined || payload.team === undefined) return;
    await deps.teams.invalidate(`${org}/${payload.team.slug}`);
    if (payload.installation === undefined) return;
    for (const request of await deps.store.findOpenByOwner(org)) {
      await deps.jobs.enqueue({
        kind: "evaluate",
        installationId: payload.installation.id,
        requestId: request.id,
        dedupeKey: `evaluate:${context.id}:${request.id}`,
        payload: { note: `The members of team ${payload.team.slug} changed.` },
      });
    }
  };
}
