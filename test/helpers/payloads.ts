/**
 * Webhook payloads built from GitHub's own examples (@octokit/webhooks-examples), with only
 * the fields a test is about changed, so every other field keeps GitHub's real shape.
 */
import { createRequire } from "node:module";
import { INSTALLATION_ID } from "./github.js";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as {
  name: string;
  examples: Record<string, unknown>[];
}[];

type Json = Record<string, unknown>;

function example(event: string, action: string): Json {
  const found = examples
    .find((entry) => entry.name === event)
    ?.examples.find((candidate) => candidate.action === action);
  if (found === undefined) throw new Error(`no example for ${event}.${action}`);
  return structuredClone(found);
}

export const OWNER = "acme";
export const REPO = "ops";
export const REPO_ID = 186853002;

function retarget(payload: Json): Json {
  const repository = payload.repository as Json;
  repository.name = REPO;
  repository.full_name = `${OWNER}/${REPO}`;
  repository.id = REPO_ID;
  repository.default_branch = "main";
  (repository.owner as Json).login = OWNER;
  payload.installation = {
    id: INSTALLATION_ID,
    node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==",
  };
  return payload;
}

export interface CommentOptions {
  body: string;
  login?: string;
  userType?: "User" | "Bot";
  commentId?: number;
  issueNumber?: number;
  onPullRequest?: boolean;
}

export function issueCommentCreated(options: CommentOptions): Json {
  const payload = retarget(example("issue_comment", "created"));
  const login = options.login ?? "alice";
  const user = { login, id: 1001, node_id: "U_alice", type: options.userType ?? "User" };
  const commentId = options.commentId ?? 5001;
  const issueNumber = options.issueNumber ?? 7;
  const issue = payload.issue as Json;
  issue.number = issueNumber;
  issue.node_id = `I_node_${issueNumber}`;
  issue.html_url = `https://github.com/${OWNER}/${REPO}/issues/${issueNumber}`;
  if (options.onPullRequest) {
    issue.pull_request = {
      url: `${"https://api.github.com"}/repos/${OWNER}/${REPO}/pulls/${issueNumber}`,
      html_url: `https://github.com/${OWNER}/${REPO}/pull/${issueNumber}`,
      diff_url: `https://github.com/${OWNER}/${REPO}/pull/${issueNumber}.diff`,
      patch_url: `https://github.com/${OWNER}/${REPO}/pull/${issueNumber}.patch`,
      merged_at: null,
    };
  }
  const comment = payload.comment as Json;
  comment.id = commentId;
  comment.node_id = `IC_node_${commentId}`;
  comment.body = options.body;
  comment.user = { ...(comment.user as Json), ...user };
  comment.html_url = `https://github.com/${OWNER}/${REPO}/issues/${issueNumber}#issuecomment-${commentId}`;
  payload.sender = { ...(payload.sender as Json), ...user };
  return payload;
}

export function issueCommentEdited(options: CommentOptions & { editor?: string }): Json {
  const payload = issueCommentCreated(options);
  payload.action = "edited";
  (payload.comment as Json).updated_at = "2026-11-22T12:00:00Z";
  payload.changes = { body: { from: "previous body" } };
  payload.sender = {
    ...(payload.sender as Json),
    login: options.editor ?? options.login ?? "alice",
  };
  return payload;
}

export function issueOpened(options: { body: string; login?: string; issueNumber?: number }): Json {
  const payload = retarget(example("issues", "opened"));
  const login = options.login ?? "alice";
  const issueNumber = options.issueNumber ?? 9;
  const issue = payload.issue as Json;
  issue.number = issueNumber;
  issue.node_id = `I_node_${issueNumber}`;
  issue.body = options.body;
  issue.html_url = `https://github.com/${OWNER}/${REPO}/issues/${issueNumber}`;
  issue.user = { ...(issue.user as Json), login, type: "User" };
  payload.sender = { ...(payload.sender as Json), login, type: "User" };
  return payload;
}

function retargetPull(payload: Json, pullNumber: number, headSha: string): Json {
  retarget(payload);
  const pull = payload.pull_request as Json;
  pull.number = pullNumber;
  pull.html_url = `https://github.com/${OWNER}/${REPO}/pull/${pullNumber}`;
  pull.head = { ...(pull.head as Json), sha: headSha, ref: `countersign/${pullNumber}` };
  return payload;
}

export interface ReviewOptions {
  action?: "submitted" | "edited" | "dismissed";
  reviewId: number;
  login: string;
  state: "approved" | "changes_requested" | "commented" | "dismissed";
  commitId: string;
  pullNumber?: number;
  body?: string;
  submittedAt?: string;
  userType?: "User" | "Bot";
}

export function pullRequestReview(options: ReviewOptions): Json {
  const payload = retargetPull(
    example("pull_request_review", "submitted"),
    options.pullNumber ?? 42,
    options.commitId,
  );
  payload.action = options.action ?? "submitted";
  const review = payload.review as Json;
  review.id = options.reviewId;
  review.user = {
    ...(review.user as Json),
    login: options.login,
    type: options.userType ?? "User",
  };
  review.state = options.state;
  review.commit_id = options.commitId;
  review.body = options.body ?? null;
  review.submitted_at = options.submittedAt ?? new Date().toISOString();
  payload.sender = {
    ...(payload.sender as Json),
    login: options.login,
    type: options.userType ?? "User",
  };
  return payload;
}

export function pullRequestEvent(options: {
  action: "synchronize" | "closed";
  pullNumber?: number;
  headSha: string;
  sender: string;
  senderType?: "User" | "Bot";
  merged?: boolean;
}): Json {
  const payload = retargetPull(
    example("pull_request", options.action),
    options.pullNumber ?? 42,
    options.headSha,
  );
  const pull = payload.pull_request as Json;
  pull.merged = options.merged ?? false;
  pull.state = options.action === "closed" ? "closed" : "open";
  payload.sender = {
    ...(payload.sender as Json),
    login: options.sender,
    type: options.senderType ?? "User",
  };
  return payload;
}

export function membershipEvent(options: {
  team: string;
  member: string;
  action: "added" | "removed";
}): Json {
  const payload = example("membership", options.action);
  payload.installation = {
    id: INSTALLATION_ID,
    node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==",
  };
  (payload.organization as Json).login = OWNER;
  payload.team = { ...(payload.team as Json), slug: options.team, name: options.team };
  payload.member = { ...(payload.member as Json), login: options.member };
  return payload;
}

/** A person's pull request (GitOps intake): GitHub's example, on a branch of its own. */
export function gitopsPullRequest(options: {
  action: "opened" | "reopened" | "ready_for_review" | "synchronize";
  pullNumber?: number;
  headSha: string;
  author?: string;
  authorType?: "User" | "Bot";
  sender?: string;
  draft?: boolean;
  title?: string;
  body?: string | null;
  headRef?: string;
  baseRef?: string;
  headRepoId?: number;
}): Json {
  const payload = retargetPull(
    example("pull_request", options.action),
    options.pullNumber ?? 77,
    options.headSha,
  );
  const pull = payload.pull_request as Json;
  const author = options.author ?? "alice";
  pull.node_id = `PR_node_${options.pullNumber ?? 77}`;
  pull.user = { ...(pull.user as Json), login: author, type: options.authorType ?? "User" };
  pull.draft = options.draft ?? false;
  pull.state = "open";
  pull.title = options.title ?? "Deactivate user 123";
  pull.body = options.body === undefined ? "Reason: INC-42" : options.body;
  const head = pull.head as Json;
  head.ref = options.headRef ?? "alice/deactivate-123";
  head.repo = { ...(head.repo as Json), id: options.headRepoId ?? REPO_ID };
  pull.base = { ...(pull.base as Json), ref: options.baseRef ?? "main" };
  payload.sender = { ...(payload.sender as Json), login: options.sender ?? author, type: "User" };
  return payload;
}
