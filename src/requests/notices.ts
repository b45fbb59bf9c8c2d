/** Small jobs that only post a comment: refusals, and notes on the request PR. */
import type { GitHub } from "../github/client.js";
import { postComment } from "../github/comments.js";
import { renderTemplate } from "../render/templates.js";
import type { RequestStore } from "../store/requests.js";
import { APP_ACTOR } from "../lifecycle/moves.js";

export async function postReply(
  github: GitHub,
  payload: { owner: string; repo: string; number: number; body: string },
): Promise<void> {
  await postComment(
    github,
    { owner: payload.owner, repo: payload.repo },
    payload.number,
    payload.body,
  );
}

export async function noteSourceEdited(
  store: RequestStore,
  github: GitHub,
  requestId: number,
  editor: string,
): Promise<void> {
  const request = await store.get(requestId);
  // Before its PR exists there is nowhere to say it; the PR shows the unedited command anyway.
  if (request === null || request.prNumber === null) return;
  await postComment(
    github,
    { owner: request.owner, repo: request.repo },
    request.prNumber,
    renderTemplate("source-edited", { id: request.id, editor, sourceUrl: request.sourceUrl }),
  );
  await store.note(request.id, APP_ACTOR, `source comment edited by ${editor}; ignored`);
}
