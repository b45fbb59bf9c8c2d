/**
 * Someone pushed to a request branch (DESIGN §1.2): the file is the command, so the new
 * file is read, checked by the guardrails again and shown; approvals of the old head are
 * stale. A branch that changes anything but its one request file is rejected: merging it
 * would slip other changes into the audit branch.
 */
import { isBotLogin } from "../policy/evaluate.js";
import type { GitHub } from "../github/client.js";
import { createApprovalCheck } from "../github/request-pr.js";
import { fileAtRef, listPullFileChanges, pullRequestState } from "../github/execution.js";
import { requestFileProblem } from "../commands/gitops-files.js";
import { isOpen, OPEN_STATUSES } from "../lifecycle/states.js";
import type { CheckCommand, CommandCheck } from "./command-check.js";
import type { RequestRecord } from "../lifecycle/records.js";
import { closeRequest } from "../lifecycle/close-request.js";
import { aboutRequest, queueNotification } from "../notify/notify-job.js";
import { reevaluate, type ReevaluateDeps } from "./reevaluate.js";
import { commandFromFile } from "../render/request-pr-text.js";

export async function onHeadMoved(
  deps: ReevaluateDeps & { checkCommand: CheckCommand },
  github: GitHub,
  requestId: number,
  reportedSha: string,
  pusher: string,
  pusherIsBot = false,
): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request === null || !isOpen(request.status) || request.prNumber === null) return;
  const repo = { owner: request.owner, repo: request.repo };
  // Jobs of two pushes may run in any order, and a retry may follow a half-done attempt:
  // act on the branch as it is now, not on the sha the webhook named.
  const live = await pullRequestState(github, repo, request.prNumber);
  const headSha = live.headSha;
  const pushers = [...new Set([...(request.pushers ?? []), pusher])];
  // A grant covers only its grantee's own command: once someone else wrote the file, the
  // command needs the resource's normal approval.
  const grantId = pusher.toLowerCase() === request.requester.toLowerCase() ? request.grantId : null;

  const checked = await checkPushedFile(deps, github, request, headSha, pusher, pusherIsBot);
  if ("rejected" in checked) {
    await deps.store.patch(request.id, {
      headSha,
      pushers,
      grantId,
      ...(checked.check === undefined ? {} : { classification: checked.check }),
    });
    const closed = await closeRequest(deps.store, github, request.id, OPEN_STATUSES, "rejected", {
      actor: pusher,
      detail: checked.rejected,
    });
    if (closed) {
      await queueNotification(deps, request.installationId, {
        kind: "outcome",
        ...aboutRequest(request),
        status: "rejected",
      });
    }
    return;
  }
  const { command, check } = checked;

  // Check runs belong to a commit: the new head gets its own (once: a retry reuses it).
  const checkRunId =
    request.headSha === headSha && request.checkRunId !== null
      ? request.checkRunId
      : await createApprovalCheck(github, repo, headSha, {
          title: "Waiting for approval",
          summary: "The command changed; evaluating reviews of the new commit.",
        });
  await deps.store.patch(request.id, {
    headSha,
    pushers,
    grantId,
    command,
    classification: check,
    checkRunId,
    statusDigest: null,
  });
  await deps.store.note(
    request.id,
    pusher,
    `pushed ${reportedSha.slice(0, 7)} (head now ${headSha.slice(0, 7)}); earlier approvals are stale`,
  );
  await reevaluate(deps, github, request.id, [
    `${pusher} pushed ${headSha.slice(0, 7)}: approvals of earlier commits are stale, and ${pusher} can no longer approve.`,
  ]);
}

type PushedFile =
  { command: string; check: CommandCheck } | { rejected: string; check?: CommandCheck };

/** The pushed head as a request: its one file, readable, and allowed by the guardrails. */
async function checkPushedFile(
  deps: { checkCommand: CheckCommand },
  github: GitHub,
  request: RequestRecord,
  headSha: string,
  pusher: string,
  pusherIsBot: boolean,
): Promise<PushedFile> {
  // Countersign itself never pushes to a request branch after opening it, so a push by any
  // bot or app (GitHub Actions, another app's token), or one no webhook reported, hides the
  // person who made it: that person might be a reviewer, who would then approve their own
  // SQL. End the request.
  if (isBotLogin(pusher, pusherIsBot)) {
    return {
      rejected: `${pusher} pushed to the request branch: a bot, an app or a push GitHub did not report, so the person behind it is unknown and no approval can be trusted. To change the command, the requester pushes it themselves or comments a new /run`,
    };
  }
  const repo = { owner: request.owner, repo: request.repo };
  const files = await listPullFileChanges(github, repo, request.prNumber as number);
  const problem = requestFileProblem(files, request.filePath);
  if (problem !== null) return { rejected: problem };
  const content = await fileAtRef(github, repo, request.filePath ?? "", headSha);
  if (content === null) {
    return { rejected: `the request file ${request.filePath} is gone or unreadable` };
  }
  const command = commandFromFile(content);
  const check = await deps.checkCommand(command, request.policy, { preview: true });
  if (check.denied.length > 0) {
    return {
      rejected: `guardrails deny the edited command: ${check.denied.map((hit) => hit.rule).join(", ")}`,
      check,
    };
  }
  return { command, check };
}
