import { parseConfig, resourceUrlVariable, DEFAULT_DENY } from "../../src/policy/config.js";
import { parseDuration, formatDurationSetting } from "../../src/policy/duration.js";

/** The example of DESIGN §1.3, as js-yaml/`context.config` hands it over. */
const DESIGN_EXAMPLE = {
  resources: {
    "prod-db": {
      approvals: {
        all_of: [
          { team: "dba", min: 1 },
          { team: "security", min: 1 },
        ],
      },
      timeout: "24h",
      guardrails: {
        deny: ["drop", "truncate", "delete_without_where", "update_without_where", "grant"],
        max_affected_rows: 1000,
      },
      output: "table",
    },
    "staging-db": { approvals: "none" },
    replica: {
      approvals: {
        any_of: [
          { team: "dba", min: 1 },
          { team: "sre", min: 2 },
        ],
      },
      auto_approve: ["read"],
      jit: { max_duration: "2h", approvals: { all_of: [{ team: "dba", min: 1 }] } },
    },
  },
};

describe("parseConfig", () => {
  test("accepts every field of the design's example and normalises it", () => {
    const result = parseConfig(DESIGN_EXAMPLE);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const { resources } = result.config;
    expect(resources["prod-db"]).toEqual({
      name: "prod-db",
      approvals: {
        mode: "all_of",
        groups: [
          { key: "dba", team: { slug: "dba" }, min: 1 },
          { key: "security", team: { slug: "security" }, min: 1 },
        ],
      },
      autoApprove: [],
      timeoutMs: 86_400_000,
      guardrails: {
        deny: ["drop", "truncate", "delete_without_where", "update_without_where", "grant"],
        warn: [],
        maxAffectedRows: 1000,
        allowUnparsed: false,
      },
      output: "table",
      jit: { maxDurationMs: 3_600_000, approvals: resources["prod-db"]?.approvals },
    });
    expect(resources["staging-db"]).toMatchObject({
      approvals: { mode: "none" },
      output: "table",
      guardrails: { deny: DEFAULT_DENY, warn: [], allowUnparsed: false },
    });
    expect(resources.replica).toMatchObject({
      approvals: {
        mode: "any_of",
        groups: [
          { key: "dba", min: 1 },
          { key: "sre", min: 2 },
        ],
      },
      autoApprove: ["read"],
      jit: {
        maxDurationMs: 7_200_000,
        approvals: { mode: "all_of", groups: [{ key: "dba", team: { slug: "dba" }, min: 1 }] },
      },
    });
  });

  test("understands org/slug teams, user lists, default min, custom rules and jit: false", () => {
    const result = parseConfig({
      resources: {
        warehouse: {
          approvals: { all_of: [{ team: "acme/data-eng" }, { users: ["alice", "Bob"], min: 2 }] },
          guardrails: {
            deny: ["drop", { name: "no-pii", pattern: "\\bssn\\b" }],
            warn: ["multiple_statements"],
            allow_unparsed: true,
          },
          output: "summary",
          jit: false,
        },
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.resources.warehouse).toMatchObject({
      approvals: {
        mode: "all_of",
        groups: [
          { key: "acme/data-eng", team: { org: "acme", slug: "data-eng" }, min: 1 },
          { key: "users:alice,Bob", users: ["alice", "Bob"], min: 2 },
        ],
      },
      guardrails: {
        deny: ["drop", { name: "no-pii", pattern: "\\bssn\\b" }],
        warn: ["multiple_statements"],
        allowUnparsed: true,
      },
      output: "summary",
      jit: null,
    });
  });

  test.each([
    ["a missing file", undefined, "(file)", /missing or empty/],
    ["no resources", { resources: {} }, "resources", /at least one resource/],
    [
      "an unknown top-level key",
      { resources: { a: { approvals: "none" } }, extra: 1 },
      "(top level)",
      /extra/,
    ],
    [
      "a misspelt resource key",
      { resources: { a: { aprovals: "none" } } },
      "resources.a",
      /aprovals/,
    ],
    [
      "a missing approvals key",
      { resources: { a: { output: "table" } } },
      "resources.a.approvals",
      /approvals must be "none"/,
    ],
    [
      "a wrong type for min",
      { resources: { a: { approvals: { all_of: [{ team: "dba", min: "one" }] } } } },
      "resources.a.approvals.all_of[0].min",
      /expected number/,
    ],
    [
      "a group with both team and users",
      { resources: { a: { approvals: { any_of: [{ team: "dba", users: ["bob"] }] } } } },
      "resources.a.approvals",
      /./,
    ],
    [
      "an empty all_of",
      { resources: { a: { approvals: { all_of: [] } } } },
      "resources.a.approvals",
      /./,
    ],
    [
      "a bad timeout",
      { resources: { a: { approvals: "none", timeout: "tomorrow" } } },
      "resources.a.timeout",
      /duration/,
    ],
    [
      "an unknown output",
      { resources: { a: { approvals: "none", output: "csv" } } },
      "resources.a.output",
      /./,
    ],
    [
      "an unknown guardrail rule",
      { resources: { a: { approvals: "none", guardrails: { deny: ["drop_everything"] } } } },
      "resources.a.guardrails.deny[0]",
      /./,
    ],
    [
      "an invalid custom pattern",
      {
        resources: {
          a: { approvals: "none", guardrails: { deny: [{ name: "x", pattern: "(" }] } },
        },
      },
      "resources.a.guardrails.deny[0]",
      /./,
    ],
    [
      "a negative row limit",
      { resources: { a: { approvals: "none", guardrails: { max_affected_rows: -1 } } } },
      "resources.a.guardrails.max_affected_rows",
      />=0|at least|too small/i,
    ],
    [
      "auto_approve of writes",
      { resources: { a: { approvals: "none", auto_approve: ["write"] } } },
      "resources.a.auto_approve[0]",
      /./,
    ],
    ["jit: true", { resources: { a: { approvals: "none", jit: true } } }, "resources.a.jit", /./],
    [
      "a bad resource name",
      { resources: { "prod db": { approvals: "none" } } },
      "resources",
      /resource names/,
    ],
  ])("refuses %s, naming the path", (_name, raw, path, message) => {
    const result = parseConfig(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const matching = result.problems.filter(
      (candidate) => candidate.path.startsWith(path) && message.test(candidate.message),
    );
    expect(matching).not.toEqual([]);
  });
});

describe("durations and environment names", () => {
  test.each([
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1h30m", 5_400_000],
    ["2H", 7_200_000],
  ])("parses %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(["", "0m", "30", "m", "1 h", "-1h", "1w"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  test("formats durations shortest-first", () => {
    expect(formatDurationSetting(5_400_000)).toBe("1h30m");
    expect(formatDurationSetting(45_000)).toBe("45s");
    expect(formatDurationSetting(0)).toBe("0s");
  });

  test("a resource's URL variable", () => {
    expect(resourceUrlVariable("prod-db")).toBe("COUNTERSIGN_RESOURCE_PROD_DB_URL");
    expect(resourceUrlVariable("replica_2")).toBe("COUNTERSIGN_RESOURCE_REPLICA_2_URL");
  });

  test("no two resources of one file read the same variable, connection or notify URL", () => {
    const rule = { approvals: "none" };
    const clashes: [string, string][] = [
      ["prod-db", "prod_db"],
      ["x", "x-notify"],
      ["x", "X_NOTIFY"],
    ];
    for (const [a, b] of clashes) {
      const parsed = parseConfig({ resources: { [a]: rule, [b]: rule } });
      expect(parsed.ok).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.problems.map((problem) => problem.message).join("\n")).toMatch(
        /two resource names map to the same environment variable/,
      );
    }
    expect(parseConfig({ resources: { x: rule, "x-notifier": rule } }).ok).toBe(true);
  });
});

describe("a group named twice in one rule", () => {
  test.each([
    { all_of: [{ team: "dba" }, { team: "dba" }] },
    { all_of: [{ team: "dba" }, { team: "DBA", min: 2 }] },
    { any_of: [{ users: ["alice", "bob"] }, { users: ["alice", "bob"] }] },
  ])("%j is refused (ask with min instead)", (approvals) => {
    const result = parseConfig({ resources: { "prod-db": { approvals } } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]?.message).toMatch(/names a group twice/);
  });
});

describe("what the repository file may no longer say", () => {
  test("read_functions is the server's: a repository cannot widen what counts as a read", () => {
    const result = parseConfig({
      resources: {
        "prod-db": { approvals: "none", guardrails: { read_functions: ["dblink_exec"] } },
      },
    });
    expect(result.ok).toBe(false);
  });

  test("audit_branch is the server's: refused with the reason", () => {
    const result = parseConfig({
      audit_branch: "scratch",
      resources: { "prod-db": { approvals: "none" } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      {
        path: "audit_branch",
        message: expect.stringContaining("audit_branch belongs to the server file") as string,
      },
    ]);
  });
});
