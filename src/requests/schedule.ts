/**
 * `/schedule <ISO time>` on a request PR (issue 17): an approver chooses when an open command
 * runs at the earliest, inside its execution window. The webhook handler only finds the
 * request and queues a job (deduplicated on the comment, so a redelivery acts once); the job
 * reads team memberships, checks the commenter and the time, records `not_before`, answers
 * on the PR and shows the schedule in the PR's status. Anything else gets a polite reply and
 * changes nothing.
 *
 * Who may: a person who could approve the request under its rule (a member of one of its
 * groups' teams, or a listed user); never the requester, anyone who pushed to its branch, or
 * a bot. A break-glass command ignores windows, so only the time's horizon is checked on it;
 * the worker honours the schedule all the same.
 */
import { checkSchedule, parseSchedule } from "../commands/schedule.js";
import { isBotLogin, teamKey } from "../policy/evaluate.js";
import { resourceFor, type ServerConfig } from "../policy/server-config.js";
import {
  describeInstant,
  describeWindow,
  stricterWindow,
  type ExecutionWindow,
} from "../policy/window.js";
import { isOpen } from "../lifecycle/states.js";
import type { GitHub } from "../github/client.js";
import { listRequestPushers } from "../github/reviews.js";
import { renderTemplate } from "../render/templates.js";
import type { JobQueue } from "../store/jobs.js";
import { SCHEDULED_BY, type RequestRecord, type RequestStore } from "../store/requests.js";
import type { TeamCache } from "../store/team-cache.js";
import { ruleOf, teamMembers } from "./evaluate-request.js";
import { reevaluate, type ReevaluateDeps } from "./reevaluate.js";
import { replyJob, type RequestSource } from "./source.js";

export interface ScheduleCommentDeps {
  store: RequestStore;
  jobs: JobQueue;
}

/** The thread a `/schedule` answers on, and who wrote it. */
export interface ScheduleAsk {
  actor: string;
  time: string;
  commentId: number;
  replyTo: { owner: string; repo: string; number: number };
}

const replyKey = (commentId: number | null, number: number) =>
  `reply:schedule:${commentId ?? number}`;

/** Why an open command request cannot be scheduled as it stands, or null. */
function notSchedulable(request: RequestRecord): string | null {
  if (request.kind !== "command") {
    return `request ${request.id} is a grant, which has no command to schedule`;
  }
  if (request.status === "running") {
    return `request ${request.id} is running (or being checked just before it runs): a schedule applies only before that`;
  }
  if (!isOpen(request.status)) {
    return `request ${request.id} is ${request.status}: a schedule applies only while it waits to run`;
  }
  return null;
}

export async function scheduleFromComment(
  deps: ScheduleCommentDeps,
  source: RequestSource,
  time: string,
): Promise<void> {
  const request = await deps.store.findByPullRequest(source.owner, source.repo, source.number);
  // Not a request PR: `/schedule` means nothing here (as `/undo`).
  if (request === null) return;
  const problem = notSchedulable(request);
  if (problem !== null) {
    const body = renderTemplate("schedule-refused", { author: source.author, problem });
    await deps.jobs.enqueue(replyJob(source, replyKey(source.commentId, source.number), body));
    return;
  }
  await deps.jobs.enqueue({
    kind: "schedule",
    installationId: request.installationId,
    deliveryId: source.deliveryId,
    requestId: request.id,
    // Per comment: a redelivery acts once, and a refused /schedule does not swallow the next.
    dedupeKey: `schedule:${source.repoId}:${source.commentId ?? source.number}`,
    payload: {
      actor: source.author,
      time,
      commentId: source.commentId ?? source.number,
      replyTo: { owner: source.owner, repo: source.repo, number: source.number },
    },
  });
}

export interface ScheduleDeps extends ReevaluateDeps {
  teams: TeamCache;
  serverConfig: ServerConfig;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Why `login` may not schedule the request, or null when it may (an approver under its rule). */
export async function approverProblem(
  deps: Pick<ScheduleDeps, "teams">,
  github: GitHub,
  request: RequestRecord,
  login: string,
): Promise<string | null> {
  if (isBotLogin(login)) return "a bot cannot schedule a command";
  if (same(login, request.requester)) {
    return `you asked for request ${request.id}: when it runs is for one of its approvers to choose`;
  }
  // `pushers` is null until the first evaluation, and a push webhook's job may still wait:
  // the branch's commits and GitHub's record of its pushes are read too, as the worker's
  // re-check does.
  const onBranch =
    request.prNumber === null
      ? []
      : await listRequestPushers(
          github,
          { owner: request.owner, repo: request.repo },
          request.prNumber,
          request.branch,
        );
  if ([...(request.pushers ?? []), ...onBranch].some((pusher) => same(pusher, login))) {
    return `you pushed to request ${request.id}'s branch, so you cannot approve it, nor schedule it`;
  }
  const rule = ruleOf(request);
  if (rule.mode === "none") {
    return `request ${request.id} needs no approval, so it has no approver to schedule it`;
  }
  const listed = rule.groups.some((group) => (group.users ?? []).some((u) => same(u, login)));
  if (listed) return null;
  const members = await teamMembers({ github, teams: deps.teams }, rule, request.owner, false);
  const lower = login.toLowerCase();
  const inTeam = rule.groups.some((group) => {
    const key = teamKey(group, request.owner);
    return key !== null && [...(members.get(key) ?? [])].some((member) => same(member, lower));
  });
  return inTeam
    ? null
    : `only a person who could approve request ${request.id} can schedule it (${rule.groups
        .map((group) => group.key)
        .join(", ")})`;
}

/** The windows a schedule must fall in: the frozen policy's and the server floor's now. */
export function scheduleWindows(
  serverConfig: ServerConfig,
  request: RequestRecord,
): ExecutionWindow[] {
  // A break-glass command ignores execution windows (the worker does too).
  if (request.policy.breakGlass !== undefined) return [];
  const floor = resourceFor(serverConfig, request.resource, request.owner, request.repo)?.floor;
  return stricterWindow(request.policy.window, floor?.window) ?? [];
}

/** The time asked for, checked: ahead, within 30 days, inside the windows, before expiry. */
export function scheduleTime(
  request: RequestRecord,
  windows: ExecutionWindow[],
  text: string,
  now: Date,
): { ok: true; at: Date } | { ok: false; problem: string } {
  const parsed = parseSchedule(text, now);
  if (!parsed.ok) return parsed;
  const inside = checkSchedule(windows, parsed.at);
  if (!inside.ok) return inside;
  if (request.expiresAt !== null && parsed.at >= request.expiresAt) {
    const zone = windows[0]?.timeZone ?? "UTC";
    return {
      ok: false,
      problem: `request ${request.id} expires ${describeInstant(request.expiresAt, zone)}, before that time, so it would never run`,
    };
  }
  return parsed;
}

/** The `schedule` job: checks who and when, records it, answers, shows it on the PR. */
export async function scheduleRequest(
  deps: ScheduleDeps,
  github: GitHub,
  requestId: number,
  ask: ScheduleAsk,
): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request === null) return;
  const reply = (template: string, context: object) =>
    deps.jobs.enqueue({
      kind: "reply",
      installationId: request.installationId,
      dedupeKey: replyKey(ask.commentId, ask.replyTo.number),
      payload: {
        ...ask.replyTo,
        body: renderTemplate(template, { author: ask.actor, ...context }),
      },
    });
  const windows = scheduleWindows(deps.serverConfig, request);
  const problem =
    notSchedulable(request) ?? (await approverProblem(deps, github, request, ask.actor));
  const time = problem === null ? scheduleTime(request, windows, ask.time, deps.now()) : null;
  if (problem !== null || time === null || !time.ok) {
    await reply("schedule-refused", { problem: problem ?? (time as { problem: string }).problem });
    return;
  }
  const iso = time.at.toISOString();
  const set = await deps.store.schedule(
    request.id,
    time.at,
    ask.actor,
    `${SCHEDULED_BY} ${ask.actor} to run at ${iso} at the earliest`,
  );
  if (set === null) {
    await reply("schedule-refused", { problem: `request ${request.id} no longer waits to run` });
    return;
  }
  if (set.heldUntil !== undefined) {
    const until = describeInstant(set.heldUntil, windows[0]?.timeZone ?? "UTC");
    await reply("schedule-refused", {
      problem: `request ${request.id} already waits until ${until}, chosen by someone else; a /schedule of yours can only move it later`,
    });
    return;
  }
  await reply("schedule-set", {
    id: request.id,
    resource: request.resource,
    when: describeInstant(time.at, windows[0]?.timeZone ?? "UTC"),
    window: windows.length > 0 ? describeWindow(windows) : null,
    pending: set.request.status === "pending",
  });
  // The PR's status says when it runs (lifecycle/publish-status.ts shows the schedule).
  if (set.changed) await reevaluate(deps, github, request.id);
}
