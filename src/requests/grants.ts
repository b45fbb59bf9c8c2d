/**
 * Time-boxed grants (DESIGN §2): which grant a command runs under, the window's clock,
 * and `/revoke`.
 */
import { teamKey } from "../policy/evaluate.js";
import { formatDurationSetting } from "../policy/duration.js";
import { renderTemplate } from "../render/templates.js";
import type { JobQueue } from "../store/jobs.js";
import type { RequestRecord, RequestStore } from "../store/requests.js";
import type { ActiveGrant } from "./auto-approval.js";
import { replyJob, type RequestSource } from "./source.js";

/** The grant a command was recorded under, if it is still active at `now`. */
export async function activeGrantOf(
  store: RequestStore,
  request: RequestRecord,
  now: Date,
): Promise<ActiveGrant | null> {
  if (request.kind !== "command" || request.grantId === null) return null;
  const grant = await store.get(request.grantId);
  if (grant === null || !isGrantActive(grant, now)) return null;
  return { id: grant.id, endsAt: grant.grantEndsAt as Date };
}

/** Active: approved and the window not over. Pure. */
export function isGrantActive(grant: RequestRecord, now: Date): boolean {
  return (
    grant.kind === "grant" &&
    grant.status === "approved" &&
    grant.grantEndsAt !== null &&
    grant.grantEndsAt.getTime() > now.getTime()
  );
}

/** `25m left, until 2026-11-22T14:30:00Z`. Pure. */
export function timeLeft(grant: RequestRecord, now: Date): string {
  const ends = grant.grantEndsAt;
  if (ends === null) return "";
  const left = ends.getTime() - now.getTime();
  const until = ends.toISOString().replace(/\.\d+Z$/, "Z");
  return left > 0 ? `${formatDurationSetting(left)} left, until ${until}` : `ended at ${until}`;
}

/** Whether `login` may approve under the grant's rule (a member of one of its groups). */
export function isEligibleApprover(
  grant: RequestRecord,
  login: string,
  teamMembers: ReadonlyMap<string, ReadonlySet<string>>,
): boolean {
  const policy = grant.policy;
  const rule = policy.jit?.approvals ?? policy.approvals;
  if (rule.mode === "none") return false;
  const lower = login.toLowerCase();
  return rule.groups.some((group) => {
    if (group.users) return group.users.some((user) => user.toLowerCase() === lower);
    const key = teamKey(group, grant.owner);
    return key !== null && (teamMembers.get(key)?.has(lower) ?? false);
  });
}

export interface RevokeDeps {
  store: RequestStore;
  jobs: JobQueue;
  now(): Date;
}

/**
 * `/revoke [resource]`. On a grant's PR it targets that grant; elsewhere, the commenter's
 * own active grants on the resource. Whether the commenter may (grantee, or an eligible
 * approver) is decided in the job, where team memberships can be read.
 */
export async function revokeFromComment(
  deps: RevokeDeps,
  source: RequestSource,
  resource: string | null,
): Promise<void> {
  const now = deps.now();
  const onPr = await deps.store.findByPullRequest(source.owner, source.repo, source.number);
  let grants: RequestRecord[] = [];
  if (onPr !== null && onPr.kind === "grant") {
    grants = isGrantActive(onPr, now) || onPr.status === "pending" ? [onPr] : [];
  } else if (resource !== null) {
    const own = await deps.store.findActiveGrant(
      source.owner,
      source.repo,
      resource,
      source.author,
      now,
    );
    grants = own === null ? [] : [own];
  }
  if (grants.length === 0) {
    await deps.jobs.enqueue(
      replyJob(
        source,
        `reply:revoke:${source.commentId ?? source.number}`,
        renderTemplate("revoke-nothing", { resource, author: source.author }),
      ),
    );
    return;
  }
  for (const grant of grants) {
    await deps.jobs.enqueue({
      kind: "revoke",
      installationId: grant.installationId,
      deliveryId: source.deliveryId,
      requestId: grant.id,
      // Per comment: a refused /revoke must not swallow a later, allowed one.
      dedupeKey: `revoke:${grant.id}:${source.commentId ?? source.number}`,
      payload: {
        actor: source.author,
        replyTo: { owner: source.owner, repo: source.repo, number: source.number },
      },
    });
  }
}
