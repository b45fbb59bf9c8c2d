/**
 * GitOps intake (DESIGN §1.1 item 3, issue 17): a person's pull request that adds one file
 * `requests/<resource>/….sql` is itself the request PR. Its author is the requester; the
 * file is the command; then the same intake as a `/run` (permission, resource, repository
 * rules, guardrails, plan), recorded with the pull request so nothing opens a second one.
 * From there the request lives like any other: reviews of the head commit, pushes
 * (head-moved.ts), the worker's re-check of the one file, execution and the audit merge.
 *
 * A pull request that touches `requests/` any other way is told why and is not a request; one
 * that touches nothing there is left alone. Runs in the `gitops_intake` job: reads only, and
 * every answer is a queued job, so a redelivery or a retry acts once.
 */
import {
  classifyGitopsFiles,
  gitopsCommandProblem,
  gitopsReason,
} from "../commands/gitops-files.js";
import type { GitHub } from "../github/client.js";
import { fileAtRef, listPullFileChanges } from "../github/execution.js";
import { listBranchPushers, listPushers, type BranchPusher } from "../github/reviews.js";
import { isBotLogin } from "../policy/evaluate.js";
import { isOpen } from "../lifecycle/states.js";
import { commandFromFile } from "../render/request-pr-text.js";
import type { JobPayload } from "../store/job-kinds.js";
import { intakeRun, refuse, type IntakeResult } from "./intake.js";
import { intakeReads, type IntakeJobDeps } from "./intake-job.js";
import { sourceKey } from "./source.js";
import { headMoved } from "./webhook-events.js";
import type { JobQueue } from "../store/jobs.js";

export type GitopsIntakeResult = IntakeResult | { outcome: "ignored"; why: string };

type GitopsPayload = JobPayload<"gitops_intake">;

/**
 * Queues the look at a pull request. Keyed by commit and action: a redelivery queues
 * nothing, and a draft opened at a commit is still looked at when it is made ready.
 */
export async function queueGitopsIntake(
  deps: { jobs: JobQueue },
  event: GitopsPayload & { action: string },
): Promise<boolean> {
  const { source, pull, action } = event;
  return deps.jobs.enqueue({
    kind: "gitops_intake",
    installationId: source.installationId,
    deliveryId: source.deliveryId,
    dedupeKey: `gitops:${source.repoId}:${source.number}:${source.headSha ?? ""}:${action}`,
    payload: { source, pull },
  });
}

export async function takeInPullRequest(
  deps: IntakeJobDeps,
  github: GitHub,
  payload: GitopsPayload,
): Promise<GitopsIntakeResult> {
  const result = await decide(deps, github, payload);
  deps.log.info({ ...result, source: sourceKey(payload.source) }, "gitops intake");
  return result;
}

async function decide(
  deps: IntakeJobDeps,
  github: GitHub,
  { source, pull }: GitopsPayload,
): Promise<GitopsIntakeResult> {
  // A draft is work in progress: it is taken in when it is marked ready for review.
  if (pull.draft) return { outcome: "ignored", why: "draft" };
  const headSha = source.headSha as string;
  const repo = { owner: source.owner, repo: source.repo };
  const known = await knownRequest(deps, source, pull);
  if (known !== null) return known;
  const files = classifyGitopsFiles(await listPullFileChanges(github, repo, source.number));
  if (files.kind === "unrelated") return { outcome: "ignored", why: "no file under requests/" };
  if (files.kind === "refused") return refuse(deps, source, "gitops", { problem: files.problem });
  // The requester must be a person: an app's or a bot's pull request has nobody to hold to
  // four eyes (and Countersign's own request PRs never reach here).
  if (pull.authorIsBot) {
    return refuse(deps, source, "gitops", {
      problem: `${source.author} is a bot or an app; a request is made by a person`,
    });
  }
  // A fork's branch is not this repository's: it cannot be the audit record's history, and
  // its pushes are its owner's alone.
  if (pull.headRepoId !== source.repoId) {
    return refuse(deps, source, "gitops", {
      problem:
        "it comes from a fork; push the branch to this repository and open the pull request from there",
    });
  }
  const content = await fileAtRef(github, repo, files.path, headSha);
  if (content === null) {
    return refuse(deps, source, "gitops", {
      problem: `\`${files.path}\` cannot be read as a file (a symlink, a submodule or over 1 MB)`,
    });
  }
  const command = commandFromFile(content);
  const problem = gitopsCommandProblem(command);
  if (problem !== null) return refuse(deps, source, "gitops", { problem });
  // The branch existed before Countersign saw it, and pushes made then (while it was a draft,
  // before the pull request was opened) came by no webhook of a request: whoever made them
  // must not approve, and commit authors alone can be forged. Read GitHub's own record.
  const [activityPushers, commitPushers] = await Promise.all([
    listBranchPushers(github, repo, pull.headRef),
    listPushers(github, repo, source.number),
  ]);
  const hidden = hiddenPusher([
    ...activityPushers,
    ...(pull.pusher ? [{ login: pull.pusher.login, isBot: pull.pusher.isBot }] : []),
  ]);
  if (hidden !== null) return refuse(deps, source, "gitops", { problem: hidden });
  const pushers = [
    ...new Set([
      ...activityPushers.map((pusher) => pusher.login as string),
      ...commitPushers,
      ...(pull.pusher ? [pull.pusher.login] : []),
    ]),
  ];
  return intakeRun(
    deps,
    intakeReads(github, source),
    source,
    {
      kind: "run",
      resource: files.resource,
      command,
      reason: gitopsReason(pull.title, source.body),
    },
    {
      number: source.number,
      nodeId: pull.nodeId,
      url: source.url,
      headRef: pull.headRef,
      headSha,
      baseRef: pull.baseRef,
      filePath: files.path,
      pushers,
    },
  );
}

/**
 * The pull request's latest request, when it settles the look: one still open takes a push
 * (head-moved judges it, never a second request), one running has its command, one that
 * ended at this very commit was decided. A new commit after a request ended may ask again.
 * (A unique index keeps one open request per pull request when two looks race.)
 */
async function knownRequest(
  deps: IntakeJobDeps,
  source: GitopsPayload["source"],
  pull: GitopsPayload["pull"],
): Promise<GitopsIntakeResult | null> {
  const headSha = source.headSha as string;
  const latest = await deps.store.findByPullRequest(source.owner, source.repo, source.number);
  if (latest === null) return null;
  if (isOpen(latest.status) && latest.headSha !== headSha && pull.pusher) {
    // The push came while this pull request was being taken in, so the webhook's own
    // head_moved found no request yet: hand it over now (the same key: never twice).
    await headMoved(deps, source.deliveryId ?? `gitops:${headSha}`, source, {
      headSha,
      pusher: pull.pusher.login,
      pusherIsBot: pull.pusher.isBot,
    });
    return { outcome: "ignored", why: `request ${latest.id}: the push goes to it` };
  }
  const live = isOpen(latest.status) || latest.status === "running";
  if (live || latest.headSha === headSha) {
    return { outcome: "ignored", why: `request ${latest.id} (${latest.status})` };
  }
  // GitHub keeps a pull request's reviews: a later request would inherit the approvals given
  // to an earlier one (push the approved commit back and they count again). Only a denied
  // request, which nobody was asked to approve, may be asked again on the same pull request.
  if (latest.status !== "denied") {
    return refuse(deps, source, "gitops", {
      problem: `this pull request already held request ${latest.id} (${latest.status}), and its reviews stay with it; open a new pull request to ask again`,
    });
  }
  return null;
}

/**
 * Why the branch's history hides who wrote the command (null when it does not): a push by a
 * bot or an app (a workflow's token, another app), or one GitHub names nobody for (a deploy
 * key), could carry a reviewer's SQL under the author's name. The same push after intake
 * ends the request (head-moved.ts); before it, the pull request is not taken in.
 */
function hiddenPusher(pushers: readonly BranchPusher[]): string | null {
  const unnamed = pushers.some((pusher) => pusher.login === null);
  const bots = pushers
    .filter((pusher) => pusher.login !== null && isBotLogin(pusher.login, pusher.isBot))
    .map((pusher) => pusher.login as string);
  if (!unnamed && bots.length === 0) return null;
  const who = [...new Set(bots)].join(", ") || "an account GitHub does not name (a deploy key)";
  return `${unnamed && bots.length > 0 ? `${who} and an unnamed account` : who} pushed to its branch, so the person behind the command is unknown and no approval could be trusted; open a new pull request from a branch that only people pushed to`;
}
