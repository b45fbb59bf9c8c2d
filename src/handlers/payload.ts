/**
 * Extracts a RequestSource from the webhook payloads Countersign listens to. Only the fields
 * used are typed, so the handlers stay independent of @octokit/webhooks' large unions.
 */
import { isBotLogin } from "../policy/evaluate.js";
import type { RequestSource } from "../requests/source.js";

interface Repository {
  id: number;
  name: string;
  owner: { login: string };
  default_branch: string;
}

interface Thread {
  number: number;
  node_id: string;
  html_url: string;
  body?: string | null;
  user: { login: string; type?: string } | null;
}

interface Comment {
  id: number;
  node_id: string;
  html_url: string;
  body: string;
  user: { login: string; type?: string } | null;
}

export interface CommentPayload {
  installation?: { id: number };
  repository: Repository;
  issue: Thread & { pull_request?: unknown };
  comment: Comment;
  sender: { login: string; type?: string };
}

export interface IssuePayload {
  installation?: { id: number };
  repository: Repository;
  issue: Thread;
  sender: { login: string; type?: string };
}

/** Bots never make requests: Countersign's own comments included (DESIGN §1.1). */
export function isBot(user: { login: string; type?: string } | null | undefined): boolean {
  // No user at all (a deleted account, a system event) is treated like a bot: nobody to trust.
  return user === null || user === undefined || isBotLogin(user.login, user.type === "Bot");
}

function installationId(payload: { installation?: { id: number } }): number {
  if (payload.installation === undefined) throw new Error("webhook without an installation");
  return payload.installation.id;
}

export function sourceFromComment(payload: CommentPayload, deliveryId: string): RequestSource {
  return {
    type: "issue_comment",
    deliveryId,
    installationId: installationId(payload),
    repoId: payload.repository.id,
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    defaultBranch: payload.repository.default_branch,
    number: payload.issue.number,
    threadNodeId: payload.issue.node_id,
    commentId: payload.comment.id,
    commentNodeId: payload.comment.node_id,
    url: payload.comment.html_url,
    author: payload.comment.user?.login ?? payload.sender.login,
    body: payload.comment.body,
  };
}

export function sourceFromIssue(payload: IssuePayload, deliveryId: string): RequestSource {
  return {
    type: "issue",
    deliveryId,
    installationId: installationId(payload),
    repoId: payload.repository.id,
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    defaultBranch: payload.repository.default_branch,
    number: payload.issue.number,
    threadNodeId: payload.issue.node_id,
    commentId: null,
    commentNodeId: null,
    url: payload.issue.html_url,
    author: payload.issue.user?.login ?? payload.sender.login,
    body: payload.issue.body ?? "",
  };
}
