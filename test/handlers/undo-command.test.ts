/**
 * `/undo` on a request PR (issue 16): a command that ran with undo backups gets a new intake
 * whose command restores the rows (reviewed like any other request); anything else gets a
 * polite refusal and nothing is made. Real payload shapes; the store embedded.
 */
import { handlerSuite } from "../helpers/suite.js";
import { issueCommentCreated } from "../helpers/payloads.js";
import { seedOpenRequest } from "../helpers/seed.js";

const suite = handlerSuite({ optionalToken: true });

const BACKUP = {
  table: "countersign_undo.r1_1",
  rows: 2,
  statement: 1,
  source: '"public"."accounts"',
  key: ["id"],
  columns: ["id", "owner", "balance"],
};

async function succeededWith(undo: (typeof BACKUP)[] | undefined): Promise<number> {
  const seeded = await seedOpenRequest(suite.harness.services, {
    command: "UPDATE accounts SET balance = 0 WHERE id <= 2;",
  });
  const result = {
    phase: "finished",
    headSha: "head111",
    prUrl: "https://github.com/acme/ops/pull/42",
    approvedBy: [],
    approvalNote: null,
    readOnly: false,
    startedAt: new Date().toISOString(),
    status: "succeeded",
    resultSets: [{ command: "UPDATE", totalRows: 0, affectedRows: 2 }],
    ...(undo === undefined ? {} : { undo }),
  };
  await suite.database
    .knex("requests")
    .where({ id: seeded.id })
    .update({ status: "succeeded", result: JSON.stringify(result) });
  return seeded.id;
}

async function jobs(kind: string): Promise<{ payload: string }[]> {
  return (await suite.database.knex("jobs").where({ kind })) as { payload: string }[];
}

test("on a PR whose command kept backups: an intake of the restore command", async () => {
  const id = await succeededWith([BACKUP]);
  await suite.deliver(
    "issue_comment",
    issueCommentCreated({ body: "/undo", issueNumber: 42, onPullRequest: true, commentId: 9 }),
  );
  const [intake, ...others] = await jobs("intake");
  expect(others).toEqual([]);
  const payload = JSON.parse(String(intake?.payload)) as {
    command: { kind: string; resource: string; command: string; reason: string };
    source: { number: number; author: string };
  };
  expect(payload.command).toMatchObject({ kind: "run", resource: "prod-db" });
  expect(payload.command.command).toContain(
    'UPDATE "public"."accounts" AS t\n   SET ("owner", "balance") = (SELECT',
  );
  expect(payload.command.command).toContain("countersign_undo.r1_1");
  expect(payload.command.reason).toBe(
    `Undo of request ${id} (https://github.com/acme/ops/pull/42)`,
  );
  expect(payload.source).toMatchObject({ number: 42, author: "alice" });
});

test("on a PR without backups: a refusal, and no intake", async () => {
  await succeededWith(undefined);
  await suite.deliver(
    "issue_comment",
    issueCommentCreated({ body: "/undo", issueNumber: 42, onPullRequest: true, commentId: 10 }),
  );
  expect(await jobs("intake")).toEqual([]);
  const [reply] = await jobs("reply");
  expect(JSON.parse(String(reply?.payload))).toMatchObject({
    number: 42,
    body: expect.stringContaining("has no undo backup") as unknown,
  });
});

test("anywhere but a request PR, /undo means nothing", async () => {
  await suite.deliver("issue_comment", issueCommentCreated({ body: "/undo", issueNumber: 7 }));
  expect(await jobs("intake")).toEqual([]);
  expect(await jobs("reply")).toEqual([]);
});
