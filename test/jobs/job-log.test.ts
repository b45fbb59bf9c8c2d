/**
 * Every log line of a job names the job, its request and the webhook delivery it came from
 * (#13): the delivery id travels from the webhook into the job's row, and the runner and
 * the use cases log it on each line.
 */
import nock from "nock";
import { jobLogger, withJobLog } from "../../src/jobs/job-log.js";
import { handlerSuite } from "../helpers/suite.js";
import {
  API,
  createHarness,
  mockConfig,
  mockInstallationToken,
  mockPermission,
} from "../helpers/github.js";
import { OWNER, REPO, issueCommentCreated } from "../helpers/payloads.js";
import { openServerConfig } from "../helpers/server-floor.js";

interface Line {
  level: string;
  object: Record<string, unknown>;
  message: string;
}

function recordingLog(lines: Line[]) {
  const at =
    (level: string) =>
    (object: object, message: string): void => {
      lines.push({ level, object: object as Record<string, unknown>, message });
    };
  return { info: at("info"), warn: at("warn"), error: at("error") };
}

const CONFIG = `
resources:
  prod-db:
    approvals:
      all_of:
        - { team: dba, min: 1 }
`;

describe("job log lines", () => {
  test("a use case's line inside a job carries the job's context; outside, nothing is added", async () => {
    const lines: Line[] = [];
    const log = jobLogger(recordingLog(lines));
    const context = { jobId: 9, kind: "evaluate", requestId: 4, deliveryId: "d-9" };
    await withJobLog(context, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.warn({ step: "after an await" }, "inside");
    });
    log.info({ step: "outside" }, "outside");
    expect(lines).toEqual([
      { level: "warn", object: { ...context, step: "after an await" }, message: "inside" },
      { level: "info", object: { step: "outside" }, message: "outside" },
    ]);
  });

  describe("through a webhook", () => {
    const suite = handlerSuite();

    test("the delivery id is kept on the job and named on the runner's lines", async () => {
      const lines: Line[] = [];
      suite.harness = createHarness(
        suite.database,
        {},
        openServerConfig(),
        undefined,
        recordingLog(lines),
      );
      const reads = mockInstallationToken(nock(API));
      mockConfig(reads, OWNER, REPO, CONFIG);
      mockPermission(reads, OWNER, REPO, "alice", "write");
      await suite.deliver(
        "issue_comment",
        issueCommentCreated({ body: "/run prod-db\n```sql\nSELECT 1;\n```" }),
        "delivery-abc",
      );
      // The webhook queued the intake; its job reads GitHub and records the request.
      expect(await suite.harness.runner.runOnce()).toBe(true);
      const row = (await suite.database.knex("jobs").where({ kind: "open_request" }).first()) as
        { delivery_id: string; request_id: number | string } | undefined;
      expect(row?.delivery_id).toBe("delivery-abc");

      // The job's first call fails: the runner's line says which delivery and request.
      nock(API)
        .get(`/repos/${OWNER}/${REPO}/git/ref/${encodeURIComponent("heads/main")}`)
        .reply(500, { message: "boom" });
      mockInstallationToken(nock(API), { optional: true });
      await suite.harness.drain();
      const failed = lines.find((line) => line.message === "job failed for good");
      expect(failed?.object).toMatchObject({
        kind: "open_request",
        requestId: Number(row?.request_id),
        deliveryId: "delivery-abc",
        jobId: expect.any(Number),
      });
    });
  });
});
