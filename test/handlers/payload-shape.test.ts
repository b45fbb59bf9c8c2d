/**
 * Deliveries without the objects their event always carries are refused at the edge with
 * status 400 (the webhook middleware answers with an error's `status`), one log line, and
 * nothing recorded — not a TypeError's 500 that invites a pointless redelivery.
 */
import { missingPayloadParts } from "../../src/handlers/payload-shape.js";
import { handlerSuite } from "../helpers/suite.js";
import { issueCommentCreated, pullRequestReview } from "../helpers/payloads.js";

const suite = handlerSuite({ optionalToken: true });

async function statusOf(name: string, payload: object): Promise<number | undefined> {
  try {
    await suite.deliver(name, payload);
    return undefined;
  } catch (error) {
    const first = [...((error as { errors?: Iterable<unknown> }).errors ?? [error])][0];
    return (first as { status?: number }).status;
  }
}

test.each<[string, string, object]>([
  ["issue_comment", "issue", issueCommentCreated({ body: "/run prod-db SELECT 1" })],
  ["issue_comment", "comment", issueCommentCreated({ body: "/run prod-db SELECT 1" })],
  ["issue_comment", "repository", issueCommentCreated({ body: "/run prod-db SELECT 1" })],
  [
    "pull_request_review",
    "pull_request",
    pullRequestReview({ reviewId: 1, login: "bob", state: "approved", commitId: "head111" }),
  ],
])("%s without %s: 400, nothing recorded", async (name, part, whole) => {
  const payload = { ...whole } as Record<string, unknown>;
  delete payload[part];
  expect(await statusOf(name, payload)).toBe(400);
  const count = await suite.database.knex("requests").count({ n: "*" }).first();
  expect(Number(count?.n)).toBe(0);
  expect(await suite.harness.jobs.pendingCount()).toBe(0);
});

test("what is missing is named", () => {
  expect(missingPayloadParts("issue_comment", { issue: {}, sender: {} })).toEqual([
    "installation",
    "repository",
    "comment",
  ]);
  expect(missingPayloadParts("issues", null)).toEqual([
    "installation",
    "repository",
    "issue",
    "sender",
  ]);
  expect(missingPayloadParts("unknown_event", {})).toEqual([]);
});
