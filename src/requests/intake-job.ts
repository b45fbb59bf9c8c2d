/**
 * Intake in two halves (DESIGN §3: handlers answer fast, slow work goes to jobs). The
 * webhook records an `intake` job and is answered without a GitHub call; the job reads what
 * intake needs (the requester's permission, then the repository's file) and runs intake
 * (intake.ts). A read GitHub fails makes the job retry with backoff, so nothing is lost to a
 * slow or failing GitHub, and nothing is made twice: the job is one per source, and intake
 * finds the request a retried job already made.
 */
import type { GitHub } from "../github/client.js";
import { getRepositoryPermission } from "../github/permissions.js";
import { readRepositoryConfig } from "../github/repository-config.js";
import type { JobPayload } from "../store/job-kinds.js";
import type { JobQueue } from "../store/jobs.js";
import {
  ConfigReadError,
  intakeGrant,
  intakeRun,
  type IntakeDeps,
  type IntakeReads,
  type IntakeResult,
} from "./intake.js";
import { sourceKey, type RequestSource } from "./source.js";

/** A parsed `/run` or `/jit`. */
export type IntakeCommand = JobPayload<"intake">["command"];

export interface IntakeJobDeps extends IntakeDeps {
  log: { info(object: object, message: string): void };
}

/**
 * Queues the intake of a command; false when it is queued already (a redelivered webhook).
 * Reads nothing from GitHub: the webhook is answered in milliseconds.
 */
export async function queueIntake(
  deps: { jobs: JobQueue },
  source: RequestSource,
  command: IntakeCommand,
): Promise<boolean> {
  return deps.jobs.enqueue({
    kind: "intake",
    installationId: source.installationId,
    deliveryId: source.deliveryId,
    dedupeKey: `intake:${sourceKey(source)}`,
    payload: { source, command },
  });
}

/** Intake's reads, through the job's installation client. */
export function intakeReads(github: GitHub, source: RequestSource): IntakeReads {
  const repo = { owner: source.owner, repo: source.repo };
  return {
    async loadConfig() {
      // Default branch only; an organisation's `.github` repository may hold defaults.
      const file = await readRepositoryConfig(github, repo);
      if (!file.ok) throw new ConfigReadError(`the file is not valid YAML (${file.reason})`);
      return file.raw;
    },
    permission: (login) => getRepositoryPermission(github, repo, login),
  };
}

/** The `intake` job: a request and its `open_request` job, or a polite refusal. */
export async function takeIn(
  deps: IntakeJobDeps,
  github: GitHub,
  { source, command }: JobPayload<"intake">,
): Promise<IntakeResult> {
  const reads = intakeReads(github, source);
  const result =
    command.kind === "jit"
      ? await intakeGrant(deps, reads, source, command)
      : await intakeRun(deps, reads, source, command);
  deps.log.info(
    { ...result, source: sourceKey(source) },
    command.kind === "jit" ? "grant intake" : "intake",
  );
  return result;
}
