/**
 * GitOps intake's judgement of a pull request's files (issue 17, item 4): exactly one added
 * `requests/<resource>/….sql` is a request; anything else under `requests/` is refused with
 * the reason; a pull request that does not touch `requests/` is left alone.
 */
import {
  classifyGitopsFiles,
  gitopsCommandProblem,
  gitopsReason,
  type PullFileChange,
} from "../../src/commands/gitops-files.js";
import { MAX_COMMAND_BYTES } from "../../src/commands/parse.js";

const added = (path: string): PullFileChange => ({ path, status: "added" });

describe("a request", () => {
  test.each([
    ["requests/prod-db/2026/12/fix-user-123.sql", "prod-db"],
    ["requests/prod_db/x.sql", "prod_db"],
    ["requests/Reporting2/a b.sql", "Reporting2"],
  ])("%s is a request for %s", (path, resource) => {
    expect(classifyGitopsFiles([added(path)])).toEqual({ kind: "request", resource, path });
  });
});

describe("left alone", () => {
  test("a pull request that touches nothing under requests/", () => {
    expect(classifyGitopsFiles([added("src/app.ts"), added("README.md")])).toEqual({
      kind: "unrelated",
    });
    expect(classifyGitopsFiles([added("docs/requests/x.sql")])).toEqual({ kind: "unrelated" });
    expect(classifyGitopsFiles([added("requests.sql")])).toEqual({ kind: "unrelated" });
    expect(classifyGitopsFiles([])).toEqual({ kind: "unrelated" });
  });
});

describe("refused, with the reason", () => {
  test("a request file beside any other change", () => {
    const result = classifyGitopsFiles([
      added("requests/prod-db/a.sql"),
      { path: "src/app.ts", status: "modified" },
    ]);
    expect(result).toMatchObject({ kind: "refused" });
    expect(result.kind === "refused" && result.problem).toContain(
      "it changes 2 files (`requests/prod-db/a.sql`, `src/app.ts`)",
    );
  });

  test("two request files", () => {
    const result = classifyGitopsFiles([
      added("requests/prod-db/a.sql"),
      added("requests/prod-db/b.sql"),
    ]);
    expect(result.kind === "refused" && result.problem).toContain("it changes 2 files");
  });

  test("many files are listed up to ten", () => {
    const files = Array.from({ length: 14 }, (_, i) => added(`requests/prod-db/${i}.sql`));
    const result = classifyGitopsFiles(files);
    expect(result.kind === "refused" && result.problem).toContain("and 4 more");
  });

  test.each([
    [{ path: "requests/prod-db/2026/11/4.sql", status: "modified" }, "it changes"],
    [{ path: "requests/prod-db/2026/11/4.sql", status: "removed" }, "it removes"],
    [
      {
        path: "requests/prod-db/new.sql",
        status: "renamed",
        previousPath: "requests/prod-db/2026/11/4.sql",
      },
      "it renames `requests/prod-db/2026/11/4.sql`",
    ],
    [
      { path: "other/place.sql", status: "renamed", previousPath: "requests/prod-db/4.sql" },
      "it renames `requests/prod-db/4.sql`",
    ],
  ])("an existing audit record changed: %o", (change, words) => {
    const result = classifyGitopsFiles([change]);
    expect(result).toMatchObject({ kind: "refused" });
    expect(result.kind === "refused" && result.problem).toContain(words);
    expect(result.kind === "refused" && result.problem).toContain("audit record");
  });

  test.each([
    "requests/prod-db.sql",
    "requests/prod-db/notes.txt",
    "requests/prod-db/x.SQL",
    "requests/-bad/x.sql",
    "requests//x.sql",
    "requests/prod db/x.sql",
  ])("%s is not a request file", (path) => {
    const result = classifyGitopsFiles([added(path)]);
    expect(result).toMatchObject({ kind: "refused" });
    expect(result.kind === "refused" && result.problem).toContain("is not a request file");
  });
});

describe("the reason and the command", () => {
  test("a Reason: line of the description wins over the title", () => {
    expect(gitopsReason("Fix user 123", "Context…\n\nReason: INC-42 customer locked out\n")).toBe(
      "INC-42 customer locked out",
    );
    expect(gitopsReason("Fix user 123", null)).toBe("Fix user 123");
    expect(gitopsReason("  ", "")).toBeNull();
    expect(gitopsReason("x".repeat(900), null)).toHaveLength(500);
  });

  test("an empty file or one over /run's limit is refused", () => {
    expect(gitopsCommandProblem("  \n")).toBe("the request file holds no command");
    expect(gitopsCommandProblem("SELECT 1;")).toBeNull();
    expect(gitopsCommandProblem("x".repeat(MAX_COMMAND_BYTES))).toBeNull();
    expect(gitopsCommandProblem("é".repeat(MAX_COMMAND_BYTES / 2 + 1))).toContain("limit");
  });
});
