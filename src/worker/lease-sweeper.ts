/**
 * Crash safety (DESIGN §1): a request still `running` after its lease expired lost its
 * worker. If the worker had started the command, nobody knows whether it committed: the
 * request becomes `unknown`, the PR says it may or may not have run, and the audit commit
 * records exactly that. It is never run again by itself. If the worker died during the
 * re-check (it records "executing" before it starts the command, only while it holds the
 * lease), nothing ran: the claim is given back and the next claim re-checks from scratch.
 */
import { terminateSession } from "../engines/index.js";
import { aboutRequest, queueNotification } from "../notify/notify-job.js";
import { declareUnknown, release } from "../lifecycle/moves.js";
import { resourceUrlVariable } from "../policy/config.js";
import { finishedStatusView } from "../lifecycle/outcome.js";
import type { RequestRecord, ResultSummary } from "../lifecycle/records.js";
import { renderTemplate } from "../render/templates.js";
import type { JobQueue, NewJob } from "../store/jobs.js";
import type { RequestStore } from "../store/requests.js";
import type { Logger } from "./execution-context.js";

export interface SweepDeps {
  store: RequestStore;
  /** The server's environment: the resource URLs, to stop a dead worker's session. */
  env: NodeJS.ProcessEnv;
  jobs: JobQueue;
  log: Logger;
}

export const LOST_WORKER = "the worker running it stopped before reporting an outcome";

/** Sweeps up to `limit` expired leases; returns how many requests it moved. */
export async function sweepExpiredLeases(deps: SweepDeps, limit = 20): Promise<number> {
  let moved = 0;
  for (const request of await deps.store.findLeaseExpired(limit)) {
    const summary = request.result;
    if (summary?.phase !== "executing") {
      if (
        await release(deps.store, request.id, "its worker stopped during the re-check", {
          leaseExpired: true,
        })
      ) {
        moved += 1;
        deps.log.warn({ requestId: request.id }, "worker lost before executing; claim released");
      }
      continue;
    }
    const stopped = await stopSession(deps, request, summary);
    const lost = { ...summary, phase: "finished", status: "unknown" } satisfies ResultSummary;
    const result = await declareUnknown(
      deps.store,
      request.id,
      `lease expired while running: ${LOST_WORKER}; the command may or may not have run${stopped}`,
      lost,
      async (trx, declared) => {
        const event = {
          kind: "outcome" as const,
          ...aboutRequest(declared),
          status: "unknown" as const,
        };
        await queueNotification(deps, declared.installationId, event, undefined, trx);
        if (declared.prNumber === null) return;
        await deps.jobs.enqueue(publishUnknown(declared, lost), trx);
      },
    );
    if (!result.ok) continue;
    moved += 1;
    deps.log.error(
      { requestId: request.id, leaseOwner: request.leaseOwner },
      "lease expired while running: outcome unknown",
    );
  }
  return moved;
}

/**
 * The dead worker's session on the target is terminated before the verdict, so the command
 * stops (and rolls back, unless it was committing) instead of running on, holding its locks,
 * until the statement timeout. The outcome stays `unknown` either way; what happened to the
 * session is added to the `unknown` event's detail.
 */
async function stopSession(
  deps: SweepDeps,
  request: RequestRecord,
  summary: ResultSummary,
): Promise<string> {
  if (summary.session === undefined) return "";
  const url = deps.env[resourceUrlVariable(request.resource)] ?? "";
  const stopped = await terminateSession(url, summary.session);
  const detail =
    "problem" in stopped
      ? `could not stop its session on the server: ${stopped.problem}`
      : stopped.terminated
        ? `terminated its session on the server (backend ${summary.session.backendPid})`
        : "its session on the server had already ended";
  deps.log.warn({ requestId: request.id, backendPid: summary.session.backendPid }, detail);
  return `; ${detail}`;
}

/** What a request whose worker died mid-command publishes: it may or may not have run. */
function publishUnknown(request: RequestRecord, summary: ResultSummary): NewJob {
  const basis = { approvedBy: summary.approvedBy, note: summary.approvalNote };
  return {
    kind: "publish_outcome",
    installationId: request.installationId,
    requestId: request.id,
    dedupeKey: `publish:${request.id}`,
    payload: {
      status: "unknown",
      body: renderTemplate("execution-unknown", {
        id: request.id,
        resource: request.resource,
        why: LOST_WORKER,
      }),
      linkSummary: "its worker stopped while the command ran, so it may or may not have run",
      statusView: finishedStatusView("unknown", "outcome unknown", basis, [
        `The command may or may not have run: ${LOST_WORKER}. Countersign will not run it again.`,
      ]),
      audit: { status: "unknown", why: LOST_WORKER },
      basis,
      headSha: summary.headSha,
      prUrl: summary.prUrl,
    },
  };
}
