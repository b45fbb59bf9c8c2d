/** Where a request came from, as the handlers extract it from a webhook payload. */
import type { NewJob } from "../store/jobs.js";
import type { SourceType } from "../store/requests.js";

export interface RequestSource {
  type: SourceType;
  /** The webhook delivery that brought the command (its jobs log it). */
  deliveryId: string | null;
  installationId: number;
  repoId: number;
  owner: string;
  repo: string;
  defaultBranch: string;
  /** Issue or pull-request number of the thread the command was written in. */
  number: number;
  /** The thread's node id (for the linking comment). */
  threadNodeId: string;
  /** The comment, when the command came from a comment. */
  commentId: number | null;
  commentNodeId: string | null;
  url: string;
  author: string;
  /** Body that held the command. */
  body: string;
  /**
   * A GitOps pull request's head commit when it was taken in: once a request on it ended, a
   * later commit may ask again, and a redelivery of the same one finds the request it made.
   */
  headSha?: string;
}

/** Unique per source: repository id + comment id, issue id or PR id (DESIGN §1.1). */
export function sourceKey(source: RequestSource): string {
  if (source.commentId !== null) return `repo:${source.repoId}:comment:${source.commentId}`;
  if (source.headSha !== undefined) {
    return `repo:${source.repoId}:${source.type}:${source.number}:${source.headSha}`;
  }
  return `repo:${source.repoId}:${source.type}:${source.number}`;
}

/**
 * A comment answering the thread a command came from, as a queued `reply` job. The dedupe
 * key makes a redelivered webhook answer once.
 */
export function replyJob(source: RequestSource, dedupeKey: string, body: string): NewJob {
  return {
    kind: "reply",
    installationId: source.installationId,
    deliveryId: source.deliveryId,
    dedupeKey,
    payload: { owner: source.owner, repo: source.repo, number: source.number, body },
  };
}
