/**
 * Crash safety (DESIGN §1): a request still `running` after its lease expired lost its
 * worker. If the worker had started the command, nobody knows whether it committed: the
 * request becomes `unknown`, the PR says it may or may not have run, and the audit commit
 * records exactly that. It is never run again by itself. If the worker died during the
 * re-check (it records "executing" before it starts the command, only while it holds the
 * lease), nothing ran: the claim is given back and the next claim re-checks from scratch.
 */
import type { GitHub } from "../github/client.js";
import { declareUnknown, release } from "../lifecycle/moves.js";
import { finishedStatusView, publishOutcome } from "../lifecycle/outcome.js";
import type { ResultSummary } from "../lifecycle/records.js";
import { renderTemplate } from "../render/templates.js";
import { APP_ACTOR } from "../lifecycle/moves.js";
import type { RequestStore } from "../store/requests.js";
import type { Logger } from "./execution-context.js";

export interface SweepDeps {
  store: RequestStore;
  log: Logger;
  githubFor(installationId: number): Promise<GitHub>;
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
    const result = await declareUnknown(
      deps.store,
      request.id,
      `lease expired while running: ${LOST_WORKER}; the command may or may not have run`,
      { ...summary, phase: "finished", status: "unknown" } satisfies ResultSummary,
    );
    if (!result.ok) continue;
    moved += 1;
    deps.log.error(
      { requestId: request.id, leaseOwner: request.leaseOwner },
      "lease expired while running: outcome unknown",
    );
    if (result.request.prNumber === null) continue;
    try {
      const github = await deps.githubFor(request.installationId);
      const basis = { approvedBy: summary.approvedBy, note: summary.approvalNote };
      const published = await publishOutcome(deps, github, {
        request: result.request,
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
      });
      await deps.store.patch(request.id, {
        result: { ...summary, phase: "finished", status: "unknown", ...published },
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      deps.log.warn({ requestId: request.id, err: message }, "could not publish unknown outcome");
      await deps.store.note(
        request.id,
        APP_ACTOR,
        `publishing the unknown outcome failed: ${message}`,
      );
    }
  }
  return moved;
}
