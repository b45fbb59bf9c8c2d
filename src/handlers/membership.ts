/** `membership` and `team`: a team changed (see requests/webhook-events.ts). */
import type { Context } from "probot";
import { teamChanged } from "../requests/webhook-events.js";
import type { Services } from "../requests/services.js";

interface TeamPayload {
  installation?: { id: number };
  organization?: { login: string };
  team: { slug: string; name: string };
}

export function onTeamChanged(deps: Pick<Services, "store" | "jobs" | "teams">) {
  return async (context: Context<"membership" | "team">): Promise<void> => {
    const payload = context.payload as unknown as TeamPayload;
    const org = payload.organization?.login;
    if (org === undefined || payload.team === undefined) return;
    await teamChanged(deps, context.id, {
      org,
      slug: payload.team.slug,
      installationId: payload.installation?.id ?? null,
    });
  };
}
