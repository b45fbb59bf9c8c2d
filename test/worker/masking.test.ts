/**
 * Output masking end to end (issue 17): a resource with a `mask` runs a real query on the
 * real PostgreSQL (TEST_DATABASE_URL, a scratch schema); the result comment shows the masked
 * columns and values and says how many cells were masked, while the output digest in the
 * audit trailer is taken over what the database returned, unmasked. GitHub is nock; the store
 * is the embedded PGlite.
 */
import { outputDigest } from "../../src/render/output-digest.js";
import { TEST_SERVER_URL, describeWithServer } from "../helpers/real-server.js";
import { workerFrame } from "../helpers/worker-suite.js";
import { recordCalls } from "../helpers/recorder.js";
import {
  mockPublish,
  mockRecheck,
  requestFile,
  resourcePolicy,
  seedApproved,
  workerWorld,
} from "../helpers/worker.js";

const describeWithTarget = describeWithServer("the masking tests");

const MASKED = resourcePolicy({
  approvals: "none",
  guardrails: { deny: ["drop"] },
  mask: { columns: ["*.password", "ssn"], patterns: ["email", "card"] },
});

describeWithTarget("masked output (real PostgreSQL)", () => {
  const frame = workerFrame();

  /** Runs `command` as an approved request on the masked resource; the result comment. */
  async function runMasked(command: string) {
    const world = workerWorld(frame.database, {
      COUNTERSIGN_RESOURCE_PROD_DB_URL: TEST_SERVER_URL,
    });
    const request = await seedApproved(world, { policy: MASKED, command });
    const recorder = recordCalls();
    recorder.watch(mockRecheck({ fileContent: requestFile(request.id, command) }));
    recorder.watch(mockPublish());

    expect(await world.executor().runOnce()).toBe(request.id);

    const graphql = recorder.calls.find((call) => call.path === "/graphql")?.body as {
      variables: { body: string };
    };
    return { world, request, recorder, comment: graphql.variables.body };
  }

  test("the comment is masked and counts the cells; the digest is over the unmasked rows", async () => {
    const table = `${frame.scratch.schema}.people`;
    await frame.scratch.query(
      `CREATE TABLE ${table} (id int, password text, ssn text, note text);
       INSERT INTO ${table} VALUES
         (1, 'hunter2', '078-05-1120', 'mail ann@example.com'),
         (2, 'letmein', NULL, 'card 4111 1111 1111 1111 on file')`,
    );
    const command = `SELECT id, password, ssn, note FROM ${table} ORDER BY id;`;
    const { world, request, comment } = await runMasked(command);
    // 2 passwords + 1 ssn (the NULL stays NULL) + the email + the card number.
    expect(comment).toContain("5 cells masked");
    for (const secret of ["hunter2", "letmein", "078-05-1120", "ann@example.com", "4111"]) {
      expect(comment).not.toContain(secret);
    }
    // Escaped in the table as any cell text is.
    expect(comment).toContain("| 1 | \\[masked\\] | \\[masked\\] | mail \\[masked:email\\] |");
    expect(comment).toContain("| 2 | \\[masked\\] | *NULL* | card \\[masked:card\\] on file |");

    const stored = await world.store.get(request.id);
    const unmasked = outputDigest({
      status: "succeeded",
      rolledBack: false,
      affectedRows: 0,
      durationMs: 0,
      notices: [],
      resultSets: [
        {
          command: "SELECT",
          columns: ["id", "password", "ssn", "note"],
          rows: [
            ["1", "hunter2", "078-05-1120", "mail ann@example.com"],
            ["2", "letmein", null, "card 4111 1111 1111 1111 on file"],
          ],
          totalRows: 2,
          affectedRows: null,
        },
      ],
    });
    expect(stored?.result?.outputSha256).toBe(unmasked);
  });

  test("a masked column's value the server quotes in its error is masked too", async () => {
    const table = `${frame.scratch.schema}.accounts`;
    await frame.scratch.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, ssn text UNIQUE);
       INSERT INTO ${table} VALUES (1, '078-05-1120'), (2, '219-09-9999')`,
    );
    // Copies row 1's ssn onto row 2: PostgreSQL answers "Key (ssn)=(078-05-1120) already
    // exists.", a stored value the command never spelled out.
    const command = `UPDATE ${table} SET ssn = (SELECT ssn FROM ${table} WHERE id = 1) WHERE id = 2;`;
    const { world, request, recorder, comment } = await runMasked(command);
    expect(comment).toContain("duplicate key value violates unique constraint");
    expect(comment).toContain("DETAIL: Key (ssn)=([masked])");
    expect(JSON.stringify(recorder.calls)).not.toContain("078-05-1120");
    expect((await world.store.get(request.id))?.status).toBe("failed");
  });
});
