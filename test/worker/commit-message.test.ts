import {
  approverLabels,
  auditCommit,
  auditTrailers,
  resultTrailer,
  type AuditCommitInput,
} from "../../src/render/commit-message.js";

const BASE: AuditCommitInput = {
  requestId: 42,
  resource: "prod-db",
  requester: "alice",
  approvedBy: ["bob (dba)", "carol (security)"],
  approvalNote: null,
  grantId: null,
  filePath: "requests/prod-db/2026/11/42.sql",
  sourceUrl: "https://github.com/acme/ops/issues/7#issuecomment-5001",
  result: {
    status: "succeeded",
    affectedRows: 1,
    durationMs: 35,
    rolledBack: false,
    outputSha256: "9f2c".padEnd(64, "0"),
  },
};

describe("audit commit", () => {
  test("the DESIGN §1.6 trailers, exactly, as the last paragraph", () => {
    const commit = auditCommit(BASE);
    expect(commit.title).toBe("countersign: prod-db request 42 by alice succeeded");
    const paragraphs = commit.message.trimEnd().split("\n\n");
    expect(paragraphs.at(-1)).toBe(
      [
        "Countersign-Request: 42",
        "Resource: prod-db",
        "Requested-by: alice",
        "Approved-by: bob (dba), carol (security)",
        "Result: succeeded; 1 row affected; 35 ms",
        `Output-SHA256: ${"9f2c".padEnd(64, "0")}`,
      ].join("\n"),
    );
    expect(commit.message).toContain(
      "Source: https://github.com/acme/ops/issues/7#issuecomment-5001",
    );
    // Plain text: nothing HTML-escaped.
    expect(commit.message).not.toContain("&#x");
  });

  test("Grant after Approved-by; failed and rolled back; no person approved", () => {
    const trailers = auditTrailers({
      ...BASE,
      approvedBy: [],
      approvalNote: "under grant 7",
      grantId: 7,
      result: {
        ...BASE.result,
        status: "failed",
        affectedRows: 1500,
        durationMs: 1240,
        rolledBack: true,
      },
    } as AuditCommitInput);
    expect(trailers.map(([key, value]) => `${key}: ${value}`)).toEqual([
      "Countersign-Request: 42",
      "Resource: prod-db",
      "Requested-by: alice",
      "Approved-by: none (under grant 7)",
      "Grant: 7",
      "Result: failed; 1500 rows affected; 1.24 s; rolled back",
      `Output-SHA256: ${"9f2c".padEnd(64, "0")}`,
    ]);
  });

  test("unknown outcome: no digest, and the title says so", () => {
    const commit = auditCommit({ ...BASE, result: { status: "unknown", why: "worker\nstopped" } });
    expect(commit.title).toBe("countersign: prod-db request 42 by alice (outcome unknown)");
    expect(commit.message).toContain("Result: unknown; worker stopped\n");
    expect(commit.message).not.toContain("Output-SHA256");
    expect(commit.message).toContain("may or may not have run");
  });

  test("values cannot break out of their trailer line", () => {
    expect(resultTrailer({ status: "unknown", why: "a\nResource: staging-db" })).toBe(
      "unknown; a Resource: staging-db",
    );
    const commit = auditCommit({ ...BASE, requester: "mallory\nResource: other" });
    expect(commit.message).toContain("Requested-by: mallory Resource: other\n");
    expect(commit.message.split("\n").filter((line) => line.startsWith("Resource:"))).toEqual([
      "Resource: prod-db",
    ]);
  });

  test("approvers: one label per person, every group they filled (any_of)", () => {
    expect(
      approverLabels([
        { login: "bob", group: "dba" },
        { login: "carol", group: "security" },
        { login: "bob", group: "sre" },
      ]),
    ).toEqual(["bob (dba, sre)", "carol (security)"]);
  });
});
