/**
 * The server file: every key, refusals with their path, and who may use a resource.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  parseServerConfig,
  repoMatches,
  resourceFor,
  resourcesAvailableTo,
} from "../../src/policy/server-config.js";
import { loadServerConfig, ServerConfigError } from "../../src/server/server-config-file.js";
import { DEFAULT_DENY, parseConfig } from "../../src/policy/config.js";

const FULL = {
  resources: {
    "prod-db": {
      repos: ["acme/ops", "acme/db-*"],
      approvals: { all_of: [{ team: "dba", min: 1 }, { team: "security" }] },
      guardrails: {
        deny: ["drop", "truncate", { name: "no-pii", pattern: "\\bssn\\b" }],
        warn: ["multiple_statements"],
        max_affected_rows: 10_000,
        max_estimated_rows: { deny: 1_000_000, warn: 50_000 },
        read_functions: ["reporting.totals", "my_report"],
      },
      plan: { max_growth: 4 },
      auto_approve: [],
      jit: { max_duration: "1h" },
      audit_branch: "audit",
      timeout: "24h",
      concurrency: 3,
    },
    "staging-db": { repos: ["acme/*"], approvals: "none" },
  },
};

describe("the server file", () => {
  test("reads every key into the floor", () => {
    const result = parseServerConfig(FULL);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const prod = result.config.resources["prod-db"];
    expect(prod?.repos).toEqual(["acme/ops", "acme/db-*"]);
    expect(prod?.floor).toEqual({
      name: "prod-db",
      approvals: {
        mode: "all_of",
        groups: [
          { key: "dba", team: { slug: "dba" }, min: 1 },
          { key: "security", team: { slug: "security" }, min: 1 },
        ],
      },
      autoApprove: [],
      timeoutMs: 24 * 3_600_000,
      guardrails: {
        deny: ["drop", "truncate", { name: "no-pii", pattern: "\\bssn\\b" }],
        warn: ["multiple_statements"],
        maxAffectedRows: 10_000,
        maxEstimatedRows: { deny: 1_000_000, warn: 50_000 },
        allowUnparsed: false,
        readFunctions: ["reporting.totals", "my_report"],
      },
      output: "table",
      jit: { maxDurationMs: 3_600_000, approvals: prod?.floor.approvals },
      auditBranch: "audit",
      plan: { maxGrowth: 4 },
    });
    // Defaults: the built-in denies, nothing auto-approved, no audit branch of its own.
    expect(result.config.resources["staging-db"]?.floor).toMatchObject({
      approvals: { mode: "none" },
      autoApprove: [],
      guardrails: { deny: DEFAULT_DENY, warn: [], allowUnparsed: false, readFunctions: [] },
    });
    expect(result.config.resources["staging-db"]?.floor.auditBranch).toBeUndefined();
    // Plans are on unless the server switches them off; the drift guard's factor is 10.
    expect(result.config.resources["staging-db"]?.floor.plan).toEqual({ maxGrowth: 10 });
    expect(
      result.config.resources["staging-db"]?.floor.guardrails.maxEstimatedRows,
    ).toBeUndefined();
    // Commands at once on the target: as declared, one unless the server says more.
    expect(prod?.concurrency).toBe(3);
    expect(result.config.resources["staging-db"]?.concurrency).toBe(1);
  });

  test("break_glass is a group, notify_team a team; undo true keeps backups 30 days", () => {
    const result = parseServerConfig({
      resources: {
        db: {
          repos: ["acme/*"],
          approvals: "none",
          break_glass: { team: "acme/incident-commanders", min: 1 },
          notify_team: "security",
          undo: true,
        },
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.resources.db?.floor).toMatchObject({
      breakGlassGroup: {
        key: "acme/incident-commanders",
        team: { org: "acme", slug: "incident-commanders" },
        min: 1,
      },
      notifyTeam: "security",
      undo: { keepForMs: 30 * 24 * 3_600_000 },
    });
  });

  test.each([
    [
      { resources: { db: { repos: ["acme/*"], approvals: "none", break_glass: { min: 1 } } } },
      "resources.db.break_glass",
    ],
    [
      { resources: { db: { repos: ["acme/*"], approvals: "none", undo: { keep_for: "soon" } } } },
      "resources.db.undo.keep_for",
    ],
    [{ resources: { db: { approvals: "none" } } }, "resources.db.repos"],
    [{ resources: { db: { repos: [], approvals: "none" } } }, "resources.db.repos"],
    [{ resources: { db: { repos: ["acme"], approvals: "none" } } }, "resources.db.repos[0]"],
    [{ resources: { db: { repos: ["*/*"], approvals: "none" } } }, "resources.db.repos[0]"],
    [{ resources: { db: { repos: ["acme/*"] } } }, "resources.db.approvals"],
    [
      { resources: { db: { repos: ["acme/*"], approvals: "none", plan: { max_growth: 0.5 } } } },
      "resources.db.plan.max_growth",
    ],
    [
      { resources: { db: { repos: ["acme/*"], approvals: "none", plan: true } } },
      "resources.db.plan",
    ],
    [
      {
        resources: {
          db: { repos: ["acme/*"], approvals: "none", guardrails: { max_estimated_rows: {} } },
        },
      },
      "resources.db.guardrails.max_estimated_rows",
    ],
    [
      {
        resources: {
          db: { repos: ["acme/*"], approvals: "none", guardrails: { max_estimated_rows: -1 } },
        },
      },
      "resources.db.guardrails.max_estimated_rows",
    ],
    [{ resources: { db: { repos: ["acme/*"], approvals: "none", aprovals: 1 } } }, "resources.db"],
    [
      { resources: { db: { repos: ["acme/*"], approvals: "none", auto_approve: ["write"] } } },
      "resources.db.auto_approve[0]",
    ],
    [
      {
        resources: { db: { repos: ["acme/*"], approvals: "none", jit: { max_duration: "soon" } } },
      },
      "resources.db.jit.max_duration",
    ],
    [
      {
        resources: {
          db: { repos: ["acme/*"], approvals: "none", guardrails: { read_functions: ["Evil()"] } },
        },
      },
      "resources.db.guardrails.read_functions[0]",
    ],
    [
      {
        resources: {
          "prod-db": { repos: ["acme/*"], approvals: "none" },
          prod_db: { repos: ["acme/*"], approvals: "none" },
        },
      },
      "resources",
    ],
    [
      {
        // x-notify's connection URL is x's notify URL: one variable, two meanings.
        resources: {
          x: { repos: ["acme/*"], approvals: "none" },
          "X-Notify": { repos: ["acme/*"], approvals: "none" },
        },
      },
      "resources",
    ],
    [
      { resources: { db: { repos: ["acme/*"], approvals: "none", concurrency: 0 } } },
      "resources.db.concurrency",
    ],
    [{ resources: {}, extra: true }, "(top level)"],
  ])("refuses %j at %s", (raw, path) => {
    const result = parseServerConfig(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.path)).toContain(path);
  });

  test("repos: owner/repo, owner/* and owner/prefix-*, case-insensitive", () => {
    expect(repoMatches("acme/ops", "ACME", "Ops")).toBe(true);
    expect(repoMatches("acme/*", "acme", "anything")).toBe(true);
    expect(repoMatches("acme/db-*", "acme", "db-orders")).toBe(true);
    expect(repoMatches("acme/db-*", "acme", "website")).toBe(false);
    expect(repoMatches("acme/ops", "acme", "ops-fork")).toBe(false);
    expect(repoMatches("acme/*", "acme-evil", "ops")).toBe(false);
  });

  test("a resource exists for a repository only when the server lists both", () => {
    const result = parseServerConfig(FULL);
    if (!result.ok) throw new Error("invalid");
    expect(resourceFor(result.config, "prod-db", "acme", "ops")).toBeDefined();
    expect(resourceFor(result.config, "prod-db", "acme", "website")).toBeUndefined();
    expect(resourceFor(result.config, "nope", "acme", "ops")).toBeUndefined();
    expect(resourceFor(result.config, "constructor", "acme", "ops")).toBeUndefined();
    expect(resourcesAvailableTo(result.config, "acme", "website")).toEqual(["staging-db"]);
  });
});

describe("loading the server file at start", () => {
  const dir = mkdtempSync(join(tmpdir(), "countersign-server-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("a missing default file means no resources (a first npm start)", () => {
    const loaded = loadServerConfig({}, dir);
    expect(loaded).toMatchObject({ found: false, config: { resources: {} } });
  });

  test("a missing file named by COUNTERSIGN_CONFIG stops the app", () => {
    expect(() => loadServerConfig({ COUNTERSIGN_CONFIG: "absent.yml" }, dir)).toThrow(
      ServerConfigError,
    );
  });

  test("a bad file stops the app with the path and every problem", () => {
    const path = join(dir, "bad.yml");
    writeFileSync(path, "resources:\n  prod-db:\n    approvals: none\n    aprovals: none\n");
    expect(() => loadServerConfig({ COUNTERSIGN_CONFIG: path }, dir)).toThrow(
      /bad\.yml is invalid:\n {2}resources\.prod-db\.repos: .*\n {2}resources\.prod-db: /,
    );
  });

  test("a good file loads", () => {
    const path = join(dir, "countersign.server.yml");
    writeFileSync(path, "resources:\n  staging-db:\n    repos: [acme/*]\n    approvals: none\n");
    expect(loadServerConfig({}, dir)).toMatchObject({ found: true, path });
  });
});

describe("the shipped examples", () => {
  test("countersign.server.example.yml and .github/countersign.example.yml are valid", () => {
    const server = loadServerConfig({ COUNTERSIGN_CONFIG: "countersign.server.example.yml" });
    expect(Object.keys(server.config.resources).sort()).toEqual([
      "prod-db",
      "replica",
      "staging-db",
    ]);
    const repository = parseConfig(
      parse(readFileSync(".github/countersign.example.yml", "utf8")) as unknown,
    );
    expect(repository.ok).toBe(true);
  });
});
