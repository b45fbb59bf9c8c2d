/**
 * The `open_request` job: turns a recorded request into its pull request (DESIGN §1.2).
 * Five content-creating GitHub calls: branch, file, pull request, check run, and one
 * GraphQL request that asks for reviews, labels, links and reacts. Every id is recorded as
 * soon as it exists, so a retried job continues where the last attempt stopped.
 */
import { isOpen } from "../lifecycle/states.js";
import type { ApprovalRule } from "../policy/config.js";
import { evaluateApprovals } from "../policy/evaluate.js";
import type { GitHub, RepoRef } from "../github/client.js";
import { labelNodeId, teamNodeId, userNodeId } from "../github/node-ids.js";
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
import { ruleOf } from "./approval-inputs.js";
import { approveRequest } from "./approve.js";
import { autoApprovalReason } from "./auto-approval.js";
import { activeGrantOf } from "./grants.js";
import { APP_ACTOR } from "./intake.js";
import { statusView } from "./status-view.js";
import {
  checkSummary,
  requestBody,
  requestBranch,
  requestFileContent,
  requestFilePath,
  requestTitle,
} from "./request-files.js";

export const REQUEST_LABEL = "countersign";

export interface OpenRequestDeps {
  store: RequestStore;
  log: { warn(object: object, message: string): void };
}

/** A branch named like ours held something else: the request is rejected, and says why. */
async function refuseBranch(
  store: RequestStore,
  github: GitHub,
  request: RequestRecord,
  branch: string,
): Promise<void> {
  const moved = await store.transition(request.id, "pending", "rejected", {
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
      const id = await teamNodeId(github, group.team.org ?? repo.owner, group.team.slug);
      if (id !== null && !teams.includes(id)) teams.push(id);
    }
    for (const login of group.users ?? []) {
      if (login.toLowerCase() === requester.toLowerCase()) continue;
      const id = await userNodeId(github, login);
      if (id !== null && !users.includes(id)) users.push(id);
    }
  }
  return { teams, users };
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
  const repo = { owner: request.owner, repo: request.repo };
  const policy = request.policy;
  const check = request.classification;
  const branch = requestBranch(request.id);
  const filePath = requestFilePath(request);

  if (request.headSha === null) {
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
      return;
    }
    request = await deps.store.patch(request.id, {
      branch,
      filePath,
      headSha,
      baseBranch,
    });
  }
  const headSha = request.headSha as string;

  const autoApproval = autoApprovalReason(
    request.kind,
    policy,
    check,
    await activeGrantOf(deps.store, request, new Date()),
  );
  const rule = ruleOf(request);
  const evaluation = evaluateApprovals({
    rule,
    reviews: [],
    headSha,
    requester: request.requester,
    pushers: [],
    defaultOrg: request.owner,
    teamMembers: new Map(),
  });
  // approvals: none (for a grant: jit approvals none) approves without any review.
  const approvedNow = alreadyApproved || autoApproval !== null || evaluation.status === "approved";
  const status = statusView({
    status: approvedNow ? "approved" : "pending",
    evaluation: autoApproval || alreadyApproved ? null : evaluation,
    autoApproval,
  });

  let prNodeId = request.prNodeId;
  // The URL GitHub gave (github.com or an Enterprise host), kept from the attempt that
  // opened the PR; a PR opened by an older version without it is asked for it.
  let prUrl = request.prUrl ?? "";
  if (request.prNumber !== null && prUrl === "") {
    prUrl = (await pullRequestState(github, repo, request.prNumber)).url;
  }
  if (request.prNumber === null) {
    const pull = await openPullRequest(github, repo, {
      head: branch,
      base: baseBranch,
      title: requestTitle(request),
      body: requestBody(request, policy, check, status),
    });
    prNodeId = pull.nodeId;
    prUrl = pull.url;
    request = await deps.store.patch(request.id, {
      prNumber: pull.number,
      prNodeId: pull.nodeId,
      prUrl: pull.url,
    });
  }

  if (request.checkRunId === null) {
    const checkRunId = await createApprovalCheck(github, repo, headSha, {
      title: status.headline,
      summary: checkSummary(check, status),
    });
    request = await deps.store.patch(request.id, { checkRunId });
  }

  const reviewers = approvedNow
    ? { teams: [], users: [] }
    : await reviewerIds(github, repo, rule, request.requester);
  const labels = [
    await labelNodeId(github, repo, REQUEST_LABEL),
    await labelNodeId(github, repo, `${REQUEST_LABEL}:${request.resource}`),
  ];
  const failures = await announceRequest(github, {
    pullRequestId: prNodeId as string,
    teamIds: reviewers.teams,
    userIds: reviewers.users,
    labelIds: labels,
    threadId: request.sourceNodeId as string,
    linkBody: renderTemplate("intake-linked", {
      id: request.id,
      resource: request.resource,
      prUrl,
      mode: approvedNow ? "none" : rule.mode,
      progress: status.progress,
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

  if (approvedNow && !alreadyApproved) {
    await approveRequest(
      deps.store,
      request,
      "pending",
      autoApproval ?? status.progress,
      new Date(),
    );
  }
}
