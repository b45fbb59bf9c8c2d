/**
 * The `open_request` job: turns a recorded request into its pull request (DESIGN §1.2).
 * Five content-creating GitHub calls: branch, file, pull request, check run, and one
 * GraphQL request that asks for reviews, labels, links and reacts. Every id is recorded as
 * soon as it exists, so a retried job continues where the last attempt stopped.
 */
import { isOpen } from "../lifecycle/states.js";
import { aboutRequest, queueNotification, type NotifyQueueDeps } from "../notify/notify-job.js";
import { ruleView } from "../policy/rule-text.js";
import type { ApprovalRule } from "../policy/config.js";
import { evaluateApprovals } from "../policy/evaluate.js";
import type { GitHub, RepoRef } from "../github/client.js";
import type { NodeIds } from "../github/node-ids.js";
import {
  addFile,
  announceRequest,
  branchHeadSha,
  createApprovalCheck,
  createBranch,
  openPullRequest,
} from "../github/request-pr.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestRecord, RequestStore } from "../store/requests.js";
import { postComment } from "../github/comments.js";
import { fileAtRef, pullRequestState } from "../github/execution.js";
import { isAdopted, ruleOf } from "./evaluate-request.js";
import { autoApprovalReason } from "./auto-approval.js";
import { activeGrantOf } from "./grants.js";
import { APP_ACTOR, approve, close } from "../lifecycle/moves.js";
import { statusView, type StatusView } from "../render/status-view.js";
import {
  checkSummary,
  requestBody,
  requestBranch,
  requestFileContent,
  requestFilePath,
  requestTitle,
} from "../render/request-pr-text.js";

export const REQUEST_LABEL = "countersign";

export interface OpenRequestDeps extends NotifyQueueDeps {
  store: RequestStore;
  log: { warn(object: object, message: string): void };
  nodeIds: NodeIds;
  now(): Date;
}

/** A branch named like ours held something else: the request is rejected, and says why. */
async function refuseBranch(
  store: RequestStore,
  github: GitHub,
  request: RequestRecord,
  branch: string,
): Promise<void> {
  const moved = await close(store, request.id, ["pending"], "rejected", {
    actor: APP_ACTOR,
    detail: `branch ${branch} already existed with other content`,
  });
  if (!moved.ok) return;
  await postComment(
    github,
    { owner: request.owner, repo: request.repo },
    request.sourceNumber,
    renderTemplate("branch-taken", { id: request.id, branch }),
  );
}

/** Node ids of everyone the rule asks to review, never the requester. */
async function reviewerIds(
  nodeIds: NodeIds,
  github: GitHub,
  repo: RepoRef,
  rule: ApprovalRule,
  requester: string,
): Promise<{ teams: string[]; users: string[] }> {
  const teams: string[] = [];
  const users: string[] = [];
  if (rule.mode === "none") return { teams, users };
  for (const group of rule.groups) {
    if (group.team) {
      const id = await nodeIds.teamNodeId(github, group.team.org ?? repo.owner, group.team.slug);
      if (id !== null && !teams.includes(id)) teams.push(id);
    }
    for (const login of group.users ?? []) {
      if (login.toLowerCase() === requester.toLowerCase()) continue;
      const id = await nodeIds.userNodeId(github, login);
      if (id !== null && !users.includes(id)) users.push(id);
    }
  }
  return { teams, users };
}

interface InitialStatus {
  approvedNow: boolean;
  autoApproval: string | null;
  rule: ApprovalRule;
  view: StatusView;
}

export async function openRequest(
  deps: OpenRequestDeps,
  github: GitHub,
  requestId: number,
  baseBranch: string,
): Promise<void> {
  let request = await deps.store.get(requestId);
  // Cancelled or expired before its job ran: nothing to open. An approval can land between
  // a first attempt that opened the PR and its retry (reviews need only the PR): the retry
  // still finishes what is missing (the check run, the announcement).
  if (request === null || !isOpen(request.status)) return;
  const alreadyApproved = request.status === "approved";
  if (request.headSha === null) {
    const pushed = await pushRequestFile(deps, github, request, baseBranch);
    if (pushed === null) return;
    request = pushed;
  }
  const initial = await initialStatus(deps, request, alreadyApproved);
  request = await ensurePullRequest(deps, github, request, baseBranch, initial.view);
  request = await ensureCheckRun(deps, github, request, initial.view);
  await announce(deps, github, request, initial);
  if (request.policy.breakGlass !== undefined) await announceBreakGlass(github, request);
  await queueNotification(deps, request.installationId, {
    kind: request.policy.breakGlass === undefined ? "opened" : "break_glass",
    ...aboutRequest(request),
    reason: request.reason,
  });
  // A GitOps pull request's description is still its author's: the first evaluation (a job,
  // reading the reviews given before the request was recorded) puts the status in it.
  if (isAdopted(request)) {
    await deps.jobs.enqueue({
      kind: "evaluate",
      installationId: request.installationId,
      requestId: request.id,
      dedupeKey: `evaluate:adopted:${request.id}`,
      payload: {},
    });
  }
  if (initial.approvedNow && !alreadyApproved) {
    const note = initial.autoApproval ?? initial.view.progress;
    const moved = await approve(deps.store, request, note, deps.now());
    if (moved.ok) {
      await queueNotification(deps, request.installationId, {
        kind: "approved",
        ...aboutRequest(request),
        approvers: [],
      });
    }
  }
}

/** The request branch with its one file; null when a branch named like ours held another. */
async function pushRequestFile(
  deps: OpenRequestDeps,
  github: GitHub,
  request: RequestRecord,
  baseBranch: string,
): Promise<RequestRecord | null> {
  const repo = repoOf(request);
  const branch = requestBranch(request.id);
  const filePath = requestFilePath(request);
  const baseSha = await branchHeadSha(github, repo, baseBranch);
  const content = requestFileContent(request);
  const created = await createBranch(github, repo, branch, baseSha);
  const headSha = await addFile(github, repo, {
    branch,
    path: filePath,
    content,
    // "request 12", not "#12": GitHub would link a commit message's #12 to issue 12.
    message: requestTitle(request),
  });
  // The branch existed (a retry, or someone made it in advance): its file must be ours,
  // byte for byte, or reviewers would approve one text while another one runs.
  if (!created && (await fileAtRef(github, repo, filePath, headSha)) !== content) {
    await refuseBranch(deps.store, github, request, branch);
    return null;
  }
  return deps.store.patch(request.id, { branch, filePath, headSha, baseBranch });
}

/** What the request shows when it opens: approved at once (no review needed) or waiting. */
async function initialStatus(
  deps: OpenRequestDeps,
  request: RequestRecord,
  alreadyApproved: boolean,
): Promise<InitialStatus> {
  const autoApproval = autoApprovalReason(
    request.kind,
    request.policy,
    request.classification,
    await activeGrantOf(deps.store, request, deps.now()),
  );
  const rule = ruleOf(request);
  const evaluation = evaluateApprovals({
    rule,
    reviews: [],
    headSha: request.headSha as string,
    requester: request.requester,
    pushers: [],
    defaultOrg: request.owner,
    teamMembers: new Map(),
  });
  // approvals: none (for a grant: jit approvals none) approves without any review.
  const approvedNow = alreadyApproved || autoApproval !== null || evaluation.status === "approved";
  const view = statusView({
    status: approvedNow ? "approved" : "pending",
    evaluation: autoApproval || alreadyApproved ? null : evaluation,
    autoApproval,
  });
  return { approvedNow, autoApproval, rule, view };
}

/** Opens the PR unless an earlier attempt did; keeps its number, node id and URL. */
async function ensurePullRequest(
  deps: OpenRequestDeps,
  github: GitHub,
  request: RequestRecord,
  baseBranch: string,
  view: StatusView,
): Promise<RequestRecord> {
  if (request.prNumber !== null) {
    if (request.prUrl !== null && request.prUrl !== "") return request;
    // The URL GitHub gave (github.com or an Enterprise host); a PR opened by an older
    // version without it is asked for it.
    const url = (await pullRequestState(github, repoOf(request), request.prNumber)).url;
    return { ...request, prUrl: url };
  }
  const pull = await openPullRequest(github, repoOf(request), {
    head: requestBranch(request.id),
    base: baseBranch,
    title: requestTitle(request),
    body: requestBody(request, request.policy, request.classification, view),
  });
  return deps.store.patch(request.id, {
    prNumber: pull.number,
    prNodeId: pull.nodeId,
    prUrl: pull.url,
  });
}

async function ensureCheckRun(
  deps: OpenRequestDeps,
  github: GitHub,
  request: RequestRecord,
  view: StatusView,
): Promise<RequestRecord> {
  if (request.checkRunId !== null) return request;
  const checkRunId = await createApprovalCheck(github, repoOf(request), request.headSha as string, {
    title: view.headline,
    summary: checkSummary(request.classification, view),
  });
  return deps.store.patch(request.id, { checkRunId });
}

/** Review requests, labels, the link on the source thread and the 👀, in one request. */
async function announce(
  deps: OpenRequestDeps,
  github: GitHub,
  request: RequestRecord,
  initial: InitialStatus,
): Promise<void> {
  const repo = repoOf(request);
  const reviewers = initial.approvedNow
    ? { teams: [], users: [] }
    : await reviewerIds(deps.nodeIds, github, repo, initial.rule, request.requester);
  const labels = [
    await deps.nodeIds.labelNodeId(github, repo, REQUEST_LABEL),
    await deps.nodeIds.labelNodeId(github, repo, `${REQUEST_LABEL}:${request.resource}`),
    ...(request.policy.breakGlass === undefined
      ? []
      : [await deps.nodeIds.labelNodeId(github, repo, BREAK_GLASS_LABEL)]),
  ];
  const failures = await announceRequest(github, {
    pullRequestId: request.prNodeId as string,
    teamIds: reviewers.teams,
    userIds: reviewers.users,
    labelIds: labels,
    threadId: request.sourceNodeId as string,
    linkBody: renderTemplate(isAdopted(request) ? "gitops-linked" : "intake-linked", {
      id: request.id,
      filePath: request.filePath ?? "",
      resource: request.resource,
      prUrl: request.prUrl ?? "",
      mode: initial.approvedNow ? "none" : initial.rule.mode,
      progress: initial.view.progress,
    }),
    reactionSubjectId: (request.sourceCommentNodeId ?? request.sourceNodeId) as string,
  });
  if (failures.length > 0) {
    deps.log.warn({ requestId: request.id, failures }, "some announcements failed");
    await deps.store.note(
      request.id,
      APP_ACTOR,
      `announcement partly failed: ${failures.join("; ")}`,
    );
  }
}

/** Marks a break-glass request PR, so it stands out in every list of pull requests. */
export const BREAK_GLASS_LABEL = "countersign:break-glass";

/**
 * Break-glass is loud (issue 17): a comment on the request PR that mentions the server's
 * notify team, says who bypassed which rule and why, and that a follow-up review will be asked
 * for. Posted once (marked), after the announcement.
 */
async function announceBreakGlass(github: GitHub, request: RequestRecord): Promise<void> {
  const { notifyTeam, breakGlass } = request.policy;
  const [org, slug] = (notifyTeam ?? "").includes("/")
    ? (notifyTeam as string).split("/")
    : [request.owner, notifyTeam];
  await postComment(
    github,
    repoOf(request),
    request.prNumber as number,
    renderTemplate("break-glass-announced", {
      id: request.id,
      resource: request.resource,
      requester: request.requester,
      reason: request.reason ?? "",
      notify: slug === undefined || slug === "" ? null : `@${org}/${slug}`,
      rule: ruleView(request.policy.approvals),
      normal: breakGlass === undefined ? null : ruleView(breakGlass.normal),
    }),
  );
}

const repoOf = (request: RequestRecord): RepoRef => ({ owner: request.owner, repo: request.repo });
