/**
 * The `countersign/config` check run: a pull request that changes `.github/countersign.yml`
 * gets its problems annotated on their lines, or, when valid, what it does to each
 * resource's effective rule under the server's floor. Real payload shapes, nock, a real
 * Probot.
 */
import nock from "nock";
import { handlerSuite } from "../helpers/suite.js";
import { API, createHarness } from "../helpers/github.js";
import { OWNER, REPO, pullRequestEvent } from "../helpers/payloads.js";
import { serverConfig } from "../helpers/server-floor.js";

const suite = handlerSuite({ optionalToken: true });
const PATH = encodeURIComponent(".github/countersign.yml");

function featurePush(): object {
  const payload = pullRequestEvent({
    action: "synchronize",
    pullNumber: 77,
    headSha: "feat999",
    sender: "alice",
  }) as { pull_request: { head: { ref: string }; base: { ref: string } } };
  payload.pull_request.head.ref = "tighten-prod-db";
  payload.pull_request.base.ref = "main";
  return payload;
}

function serveFile(scope: nock.Scope, ref: string, text: string | null): void {
  const reply = scope.get(`/repos/${OWNER}/${REPO}/contents/${PATH}`).query({ ref });
  if (text === null) reply.reply(404, { message: "Not Found" });
  else
    reply.reply(200, {
      type: "file",
      path: ".github/countersign.yml",
      encoding: "base64",
      content: Buffer.from(text, "utf8").toString("base64"),
    });
}

beforeEach(() => {
  suite.harness = createHarness(
    suite.database,
    {},
    serverConfig({
      "prod-db": { repos: ["acme/*"], approvals: { all_of: [{ team: "dba" }] } },
      "staging-db": { repos: ["acme/*"], approvals: "none" },
    }),
  );
});

test("a PR that does not touch the file: one read, no check run", async () => {
  suite.recorder.watch(
    nock(API)
      .get(`/repos/${OWNER}/${REPO}/pulls/77/files`)
      .query(true)
      .reply(200, [{ filename: "README.md" }]),
  );
  await suite.deliverAndDrain("pull_request", featurePush());
  expect(suite.recorder.writes()).toEqual([]);
});

test("a bad file: failure, each problem annotated on its line", async () => {
  let check: Record<string, unknown> = {};
  const scope = nock(API)
    .get(`/repos/${OWNER}/${REPO}/pulls/77/files`)
    .query(true)
    .reply(200, [{ filename: ".github/countersign.yml" }]);
  serveFile(
    scope,
    "feat999",
    "resources:\n  prod-db:\n    approvals:\n      all_of: [{ team: dba, min: 0 }]\n    timeout: soon\n",
  );
  scope
    .post(`/repos/${OWNER}/${REPO}/check-runs`, (body: Record<string, unknown>) => {
      check = body;
      return true;
    })
    .reply(201, { id: 1 });
  suite.recorder.watch(scope);
  await suite.deliverAndDrain("pull_request", featurePush());

  expect(check).toMatchObject({
    name: "countersign/config",
    head_sha: "feat999",
    status: "completed",
    conclusion: "failure",
    output: {
      title: "2 problems in .github/countersign.yml",
      annotations: [
        {
          path: ".github/countersign.yml",
          start_line: 4,
          end_line: 4,
          annotation_level: "failure",
          message: "resources.prod-db.approvals.all_of[0].min: min must be at least 1",
        },
        {
          path: ".github/countersign.yml",
          start_line: 5,
          message: expect.stringContaining("resources.prod-db.timeout:") as string,
        },
      ],
    },
  });
  expect((check.output as { summary: string }).summary).toContain("line 4, column 34");
});

test("a good file: success, and what it does to each resource under the floor", async () => {
  let check: Record<string, unknown> = {};
  const scope = nock(API)
    .get(`/repos/${OWNER}/${REPO}/pulls/77/files`)
    .query(true)
    .reply(200, [{ filename: ".github/countersign.yml" }]);
  serveFile(
    scope,
    "feat999",
    [
      "resources:",
      "  prod-db:",
      "    approvals: { all_of: [{ team: security }] }",
      "    guardrails: { deny: [drop], max_affected_rows: 10 }",
      "  staging-db:",
      "    approvals: none",
      "    auto_approve: [read]",
      "  warehouse:",
      "    approvals: none",
      "",
    ].join("\n"),
  );
  serveFile(
    scope,
    "main",
    "resources:\n  staging-db:\n    approvals: { all_of: [{ team: sre }] }\n",
  );
  scope
    .post(`/repos/${OWNER}/${REPO}/check-runs`, (body: Record<string, unknown>) => {
      check = body;
      return true;
    })
    .reply(201, { id: 1 });
  suite.recorder.watch(scope);
  await suite.deliverAndDrain("pull_request", featurePush());

  expect(check).toMatchObject({
    conclusion: "success",
    output: { title: ".github/countersign.yml is valid", annotations: [] },
  });
  const summary = (check.output as { summary: string }).summary;
  expect(summary).toContain("**prod-db**: tighter");
  expect(summary).toContain("approvals: dba → dba and security");
  expect(summary).toContain("max\\_affected\\_rows: no limit → 10");
  // staging-db lost its sre rule; auto-approval asked by the file needs the server too.
  expect(summary).toContain("**staging-db**: looser");
  expect(summary).toContain("approvals: sre → no approval");
  expect(summary).toMatch(/does not offer `warehouse` to this repository/);
});
