/**
 * Every kind of job and its payload, as schemas (pure). A job is checked against its
 * schema when it is queued and again when it is read back, so the code that runs it gets
 * typed fields, and a row that does not fit (written by another version, or by hand) fails
 * for good with the reason instead of being guessed at with `String()` and casts.
 */
import { z } from "zod";
import { reviewSchema } from "../lifecycle/records.js";
import { notificationEventSchema } from "../notify/message.js";

const repoThread = z.object({ owner: z.string(), repo: z.string(), number: z.number() });
const nothing = z.object({}).strict();

const auditResult = z.union([
  z.object({
    status: z.enum(["succeeded", "failed"]),
    affectedRows: z.number(),
    durationMs: z.number(),
    rolledBack: z.boolean(),
    outputSha256: z.string(),
    undo: z.array(z.object({ table: z.string(), rows: z.number() })).optional(),
  }),
  z.object({ status: z.literal("unknown"), why: z.string() }),
]);

/** What a finished command publishes, decided by the worker when it recorded the outcome. */
const outcomeToPublish = z.object({
  status: z.enum(["succeeded", "failed", "unknown"]),
  /** The result comment, rendered and scrubbed of credentials. */
  body: z.string(),
  linkSummary: z.string(),
  statusView: z.object({
    headline: z.string(),
    progress: z.string(),
    reasons: z.array(z.string()),
  }),
  audit: auditResult,
  basis: z.object({ approvedBy: z.array(z.string()), note: z.string().nullable() }),
  headSha: z.string(),
  prUrl: z.string(),
});

/** Where a command came from: requests/source.ts's RequestSource, as the webhook saw it. */
const requestSource = z.object({
  type: z.enum(["issue_comment", "issue", "pull_request"]),
  deliveryId: z.string().nullable(),
  installationId: z.number(),
  repoId: z.number(),
  owner: z.string(),
  repo: z.string(),
  defaultBranch: z.string(),
  number: z.number(),
  threadNodeId: z.string(),
  commentId: z.number().nullable(),
  commentNodeId: z.string().nullable(),
  url: z.string(),
  author: z.string(),
  body: z.string(),
  headSha: z.string().optional(),
});

/** A parsed `/run` or `/jit` (commands/parse.ts). */
const intakeCommand = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("run"),
    resource: z.string(),
    command: z.string(),
    reason: z.string().nullable(),
    breakGlass: z.literal(true).optional(),
  }),
  z.object({
    kind: z.literal("jit"),
    resource: z.string(),
    durationMs: z.number(),
    durationText: z.string(),
    reason: z.string().nullable(),
  }),
]);

/** Payload schema per job kind; `request` says whether the job is about one request. */
export const JOB_KINDS = {
  /**
   * A `/run` or `/jit` to take in: its reads from GitHub (permission, configuration) happen
   * here, so the webhook is answered at once and a read GitHub fails is retried.
   */
  intake: { request: false, payload: z.object({ source: requestSource, command: intakeCommand }) },
  /**
   * A person's pull request opened, reopened, made ready or pushed: is it a GitOps request
   * (one added `requests/<resource>/….sql`)? Its reads (files, permission, configuration)
   * happen here.
   */
  gitops_intake: {
    request: false,
    payload: z.object({
      source: requestSource,
      pull: z.object({
        nodeId: z.string(),
        headRef: z.string(),
        headRepoId: z.number().nullable(),
        baseRef: z.string(),
        title: z.string(),
        draft: z.boolean(),
        authorIsBot: z.boolean(),
        /** Who pushed, for a `synchronize`: a request recorded meanwhile gets the push. */
        pusher: z.object({ login: z.string(), isBot: z.boolean() }).optional(),
      }),
    }),
  },
  /** Open the request PR, its check run, and announce it. */
  open_request: { request: true, payload: z.object({ baseBranch: z.string() }) },
  /** A comment on the thread a command came from. */
  reply: { request: false, payload: repoThread.extend({ body: z.string() }) },
  /** The /run comment was edited after the request was made. */
  source_edited: { request: true, payload: z.object({ editor: z.string() }) },
  /** Re-evaluate after a review or a team change; the review rides along. */
  evaluate: {
    request: true,
    payload: z.object({ note: z.string().optional(), review: reviewSchema.optional() }),
  },
  /** Someone pushed to the request branch. */
  head_moved: {
    request: true,
    payload: z.object({
      headSha: z.string(),
      pusher: z.string(),
      pusherIsBot: z.boolean().optional(),
    }),
  },
  /** `/cancel`, or the PR closed by a person. */
  cancel: {
    request: true,
    payload: z.object({ actor: z.string(), prClosed: z.boolean().optional() }),
  },
  /** `/revoke` of a grant; refusals are answered on `replyTo`. */
  revoke: { request: true, payload: z.object({ actor: z.string(), replyTo: repoThread }) },
  /** A grant's window closed. */
  end_grant: { request: true, payload: nothing },
  /** An active grant's check run shows the time left. */
  grant_tick: { request: true, payload: nothing },
  /** A request outlived its timeout. */
  expire: { request: true, payload: nothing },
  /** The missed-webhook sweep: re-read a pending request's reviews and head. */
  refresh: { request: true, payload: nothing },
  /**
   * A finished command's comments, status and audit merge: its own job, so the worker takes
   * the next command at once and a failed write is retried without re-running anything.
   */
  publish_outcome: { request: true, payload: outcomeToPublish },
  /** A pull request that changes `.github/countersign.yml`: the config check run. */
  check_config: {
    request: false,
    payload: repoThread.extend({ headSha: z.string(), baseRef: z.string() }),
  },
  /**
   * Tell the resource's chat channel (notify/): its own job, so the lifecycle never waits for
   * it and a failed post is retried. The request rides in the event, not in the job's row: a
   * notification that gives up must not mark the request stuck.
   */
  notify: {
    request: false,
    payload: z.object({ resource: z.string(), event: notificationEventSchema }),
  },
  /**
   * `/schedule <time>` on a request PR (issue 17): whether the commenter may (team reads) and
   * the time fits the window are decided here; refusals are answered on `replyTo`.
   */
  schedule: {
    request: true,
    payload: z.object({
      actor: z.string(),
      time: z.string(),
      commentId: z.number(),
      replyTo: repoThread,
    }),
  },
} as const;

export type JobKind = keyof typeof JOB_KINDS;
export type JobPayload<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]["payload"]>;

/** A job of one kind with its payload: `{ kind: "cancel", payload: { actor } }`. */
export type JobOf<K extends JobKind> = K extends JobKind
  ? { kind: K; payload: JobPayload<K> }
  : never;
export type AnyJobSpec = JobOf<JobKind>;

export const isJobKind = (kind: string): kind is JobKind => Object.hasOwn(JOB_KINDS, kind);

/** The payload checked against its kind's schema; an error says what does not fit. */
export function checkJob(kind: string, payload: unknown): AnyJobSpec {
  if (!isJobKind(kind)) throw new Error(`unknown job kind ${kind}`);
  const parsed = JOB_KINDS[kind].payload.safeParse(payload);
  if (!parsed.success) {
    throw new Error(`job ${kind}: payload does not fit its schema: ${parsed.error.message}`);
  }
  return { kind, payload: parsed.data } as AnyJobSpec;
}
