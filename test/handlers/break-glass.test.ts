/**
 * Break-glass (issue 17): `/run prod-db --break-glass --reason …` on a resource whose server
 * floor names a break_glass group needs one approval from that group instead of the usual
 * rule; it is loud (label, a comment mentioning the notify team), and the guardrails' denies
 * still apply. Real payload shapes, GitHub by nock, the store embedded.
 */
import nock from "nock";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseComment } from "../../src/commands/parse.js";
import { handlerSuite } from "../helpers/suite.js";
import {
  API,
  createHarness,
  mockConfig,
  mockInstallationToken,
  mockPermission,
  type Harness,
} from "../helpers/github.js";
import { OWNER, REPO, issueCommentCreated } from "../helpers/payloads.js";
import { recordCalls } from "../helpers/recorder.js";
import { serverConfig } from "../helpers/server-floor.js";
import { Metrics } from "../../src/server/metrics.js";

const FLOOR = serverConfig({
  "prod-db": {
    repos: ["acme/ops"],
    approvals: { all_of: [{ team: "dba" }, { team: "security" }] },
    break_glass: { team: "incident-commanders", min: 1 },
    notify_team: "security",
  },
  "staging-db": { repos: ["acme/ops"], approvals: { all_of: [{ team: "dba" }] } },
});
const COMMAND = "UPDATE users SET status = 'inactive' WHERE id = 123;";

const suite = handlerSuite();
let harness: Harness;
beforeEach(() => {
  harness = createHarness(suite.database, {}, FLOOR);
});

async function intake(body: string): Promise<void> {
  const reads = mockInstallationToken(nock(API));
  // A repository file that asks for nothing more: the floor governs.
  mockPermission(
    mockConfig(reads, OWNER, REPO, "resources:\n  prod-db:\n    approvals: none\n"),
    OWNER,
    REPO,
    "alice",
    "write",
  );
  await harness.probot.receive({
    id: "d-1",
    name: "issue_comment",
    payload: issueCommentCreated({ body }),
  } as Parameters<Harness["probot"]["receive"]>[0]);
  expect(await harness.runner.runOnce()).toBe(true);
}

function replyBody(calls: { path: string; body: unknown }[]): string {
  const call = calls.find((entry) => entry.path.endsWith("/issues/7/comments"));
  return (call?.body as { body?: string } | undefined)?.body ?? "";
}

describe("the flag", () => {
  test("right after the resource, before or after --reason; a reason is required", () => {
    expect(parseComment(`/run prod-db --break-glass --reason "INC-123" ${COMMAND}`)).toEqual({
      kind: "run",
      resource: "prod-db",
      command: COMMAND,
      reason: "INC-123",
      breakGlass: true,
    });
    expect(parseComment(`/run prod-db --reason INC-9 --break-glass ${COMMAND}`)).toMatchObject({
      breakGlass: true,
      reason: "INC-9",
    });
    expect(parseComment(`/run prod-db --break-glass ${COMMAND}`)).toEqual({
      kind: "invalid",
      verb: "run",
      problem: 'a break-glass run needs a reason with words or a ticket number: --reason "INC-123"',
    });
    // A reason that shows nothing (no letter or digit) is no reason.
    for (const blank of ['"\u200b"', '"\u2060"', '"**"', "-", '"  "']) {
      expect(parseComment(`/run prod-db --break-glass --reason ${blank} ${COMMAND}`)).toMatchObject(
        {
          kind: "invalid",
          problem: expect.stringContaining("needs a reason") as unknown,
        },
      );
    }
    const hiddenLine = parseComment(
      "/run prod-db --break-glass\nReason: \u200b\n```sql\nSELECT 1\n```",
    );
    expect(hiddenLine).toMatchObject({ kind: "invalid" });
    expect(parseComment(`/run prod-db --break-glass --reason "Ünfall 7" ${COMMAND}`)).toMatchObject(
      {
        reason: "Ünfall 7",
      },
    );
    expect(parseComment("/jit prod-db --break-glass 30m --reason x")).toMatchObject({
      kind: "invalid",
    });
  });

  test("inside the SQL it is SQL, never the flag", () => {
    const parsed = parseComment("/run prod-db SELECT 1 -- --break-glass");
    expect(parsed).toMatchObject({ kind: "run", command: "SELECT 1 -- --break-glass" });
    expect(parsed).not.toHaveProperty("breakGlass");
    const block = parseComment("/run prod-db\n```sql\n--break-glass\nSELECT 1\n```");
    expect(block).not.toHaveProperty("breakGlass");
  });
});

describe("intake", () => {
  test("one approval from the break-glass group instead of the usual rule", async () => {
    await intake(`/run prod-db --break-glass --reason "INC-123" ${COMMAND}`);
    const request = await harness.store.findBySource("repo:186853002:comment:5001");
    expect(request).toMatchObject({ status: "pending", reason: "INC-123" });
    expect(request?.policy.approvals).toEqual({
      mode: "all_of",
      groups: [{ key: "incident-commanders", team: { slug: "incident-commanders" }, min: 1 }],
    });
    expect(request?.policy.breakGlass?.normal).toMatchObject({ mode: "all_of" });
    const { body } = await new Metrics(harness.services).render();
    expect(body).toContain('countersign_break_glass_requests{status="pending"} 1');
  });

  test("the guardrails' denies still apply", async () => {
    const recorder = recordCalls();
    recorder.watch(
      nock(API).post(`/repos/${OWNER}/${REPO}/issues/7/comments`).reply(201, { id: 1 }),
    );
    await intake('/run prod-db --break-glass --reason "INC-1" DELETE FROM users');
    const request = await harness.store.findBySource("repo:186853002:comment:5001");
    expect(request?.status).toBe("denied");
    await harness.drain();
    expect(replyBody(recorder.calls)).toContain(
      "**delete\\_without\\_where** in `DELETE FROM users`",
    );
  });

  test("a resource without a break-glass group refuses the flag and makes nothing", async () => {
    const recorder = recordCalls();
    recorder.watch(
      nock(API).post(`/repos/${OWNER}/${REPO}/issues/7/comments`).reply(201, { id: 1 }),
    );
    await intake(`/run staging-db --break-glass --reason "INC-2" ${COMMAND}`);
    expect(await harness.store.findBySource("repo:186853002:comment:5001")).toBeNull();
    await harness.drain();
    expect(replyBody(recorder.calls)).toContain(
      "`staging-db` has no break-glass group on this Countersign server",
    );
  });
});

describe("the request PR", () => {
  test("labelled countersign:break-glass, a comment mentioning the notify team, and the chat told", async () => {
    // The resource's chat webhook: a real local HTTP server (notify/, issue 17).
    const posted: string[] = [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        posted.push(body);
        response.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    nock.enableNetConnect("127.0.0.1");
    try {
      await labelledAndTold(server, posted);
    } finally {
      nock.disableNetConnect();
      server.close();
    }
  });
});

/** The request PR of a break-glass run, with the chat webhook at `server`. */
async function labelledAndTold(server: Server, posted: string[]): Promise<void> {
  const { port } = server.address() as AddressInfo;
  harness = createHarness(
    suite.database,
    {
      COUNTERSIGN_RESOURCE_PROD_DB_NOTIFY_URL: `http://127.0.0.1:${port}/hook`,
    },
    FLOOR,
  );
  await intake(`/run prod-db --break-glass --reason "INC-123" ${COMMAND}`);
  const request = await harness.store.findBySource("repo:186853002:comment:5001");
  const id = request?.id as number;
  const recorder = recordCalls();
  const labelNames: string[] = [];
  recorder.watch(
    nock(API)
      .get(`/repos/${OWNER}/${REPO}/git/ref/${encodeURIComponent("heads/main")}`)
      .reply(200, { ref: "refs/heads/main", object: { sha: "base000", type: "commit" } })
      .post(`/repos/${OWNER}/${REPO}/git/refs`)
      .reply(201, { ref: `refs/heads/countersign/${id}`, object: { sha: "base000" } })
      .put((path) => path.startsWith(`/repos/${OWNER}/${REPO}/contents/`))
      .reply(201, { content: {}, commit: { sha: "head111" } })
      .post(`/repos/${OWNER}/${REPO}/pulls`)
      .reply(201, {
        number: 42,
        node_id: "PR_node_42",
        html_url: `https://github.com/${OWNER}/${REPO}/pull/42`,
      })
      .post(`/repos/${OWNER}/${REPO}/check-runs`)
      .reply(201, { id: 9001 })
      .get(`/orgs/${OWNER}/teams/incident-commanders`)
      .reply(200, { id: 3, slug: "incident-commanders", node_id: "T_ic" })
      .get((path) => path.startsWith(`/repos/${OWNER}/${REPO}/labels/`))
      .times(3)
      .reply(200, (path: string) => {
        const name = decodeURIComponent(path.split("/labels/")[1] ?? "");
        labelNames.push(name);
        return { name, node_id: `L_${name}` };
      })
      .post("/graphql")
      .reply(200, { data: { reviews: {}, labels: {}, link: {}, eyes: {} } })
      .post(`/repos/${OWNER}/${REPO}/issues/42/comments`)
      .reply(201, { id: 5, html_url: "https://github.com/acme/ops/pull/42#issuecomment-5" }),
  );
  await harness.drain();

  expect(labelNames).toEqual(["countersign", "countersign:prod-db", "countersign:break-glass"]);
  const comment = (
    recorder.calls.find((call) => call.path.endsWith("/issues/42/comments"))?.body as {
      body: string;
    }
  ).body;
  expect(comment).toContain("🚨 **Break-glass** on `prod-db` · @acme/security");
  expect(comment).toContain("**Reason:** INC-123");
  expect(comment).toContain("- incident-commanders: 1 approval");
  expect(comment).toContain("- dba: 1 approval");
  expect(comment).toContain("`Break-glass: yes`");
  expect(await harness.jobs.failedJobs()).toEqual([]);
  expect(posted).toHaveLength(1);
  const message = JSON.parse(posted[0] as string) as { text: string };
  expect(message.text).toContain("🚨 Break-glass request");
  expect(message.text).toContain("https://github.com/acme/ops/pull/42");
  // The command itself never goes to the chat.
  expect(message.text).not.toContain("UPDATE users");
}
