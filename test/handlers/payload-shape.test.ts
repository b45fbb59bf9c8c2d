/**
 * Deliveries without the objects their event always carries are refused at the edge with
 * status 400 (the webhook middleware answers with an error's `status`), one log line, and
 * nothing recorded — not a TypeError's 500 that invites a pointless redelivery.
 */
import { Probot, type Logger } from "probot";
import { createApp } from "../../src/app.js";
import { missingPayloadParts, rejectedDeliveryNote } from "../../src/handlers/payload-shape.js";
import { PRIVATE_KEY } from "../helpers/worker.js";
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

describe("deliveries refused or odd before any handler runs, each with its own log line", () => {
  test("an empty body is reported as empty, not as a secret mismatch", async () => {
    const probot = suite.harness.probot;
    let refused: unknown = null;
    probot.webhooks.onError((error) => {
      refused = error;
    });
    await expect(
      probot.webhooks.verifyAndReceive({
        id: "delivery-empty",
        name: "issue_comment",
        payload: "",
        signature: "sha256=" + "0".repeat(64),
      }),
    ).rejects.toBeTruthy();
    expect(rejectedDeliveryNote(refused)).toEqual({
      fields: { deliveryId: "delivery-empty", event: "issue_comment" },
      message: "delivery with an empty body: refused (400), not a secret mismatch",
    });
  });

  test("a body whose signature does not match is named as such, with its size", async () => {
    const probot = suite.harness.probot;
    let refused: unknown = null;
    probot.webhooks.onError((error) => {
      refused = error;
    });
    await expect(
      probot.webhooks.verifyAndReceive({
        id: "delivery-forged",
        name: "issue_comment",
        payload: '{"action":"created"}',
        signature: "sha256=" + "0".repeat(64),
      }),
    ).rejects.toBeTruthy();
    expect(rejectedDeliveryNote(refused)).toEqual({
      fields: { deliveryId: "delivery-forged", event: "issue_comment", chars: 20 },
      message: "delivery whose signature does not match its body: refused (400)",
    });
    // Errors of handlers (not refused deliveries) are left to Probot's own log.
    expect(rejectedDeliveryNote(new Error("boom"))).toBeNull();
  });

  test("an unusually large delivery is handled, with a warning naming it", async () => {
    const warnings: unknown[][] = [];
    const log = {
      level: "warn",
      child: () => log,
      warn: (...args: unknown[]) => warnings.push(args),
      info: () => undefined,
      debug: () => undefined,
      trace: () => undefined,
      error: () => undefined,
      fatal: () => undefined,
    };
    const probot = new Probot({
      appId: 123,
      privateKey: PRIVATE_KEY,
      log: log as unknown as Logger, // a recording stand-in for pino: only these methods are used
    });
    await probot.load(createApp(suite.harness.services));
    const payload = issueCommentCreated({ body: `not a command ${"x".repeat(1_100_000)}` });
    await probot.receive({ id: "delivery-huge", name: "issue_comment", payload } as Parameters<
      typeof probot.receive
    >[0]);
    const line = warnings.find((args) => args[1] === "unusually large delivery");
    expect(line?.[0]).toMatchObject({ deliveryId: "delivery-huge", event: "issue_comment" });
    expect((line?.[0] as { chars: number }).chars).toBeGreaterThan(1_100_000);
    expect(await suite.harness.jobs.pendingCount()).toBe(0);
  });
});
