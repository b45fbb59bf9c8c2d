/** `countersign validate`: files checked, problems printed with file:line:column, exit codes. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateFiles } from "../../src/server/validate-cli.js";

const dir = mkdtempSync(join(tmpdir(), "countersign-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, "good.yml");
const bad = join(dir, "bad.yml");
const server = join(dir, "countersign.server.yml");
writeFileSync(good, "resources:\n  prod-db:\n    approvals: none\n");
writeFileSync(bad, "resources:\n  prod-db:\n    approvals: none\n    timeout: soon\n");
writeFileSync(server, "resources:\n  prod-db:\n    approvals: none\n");

function run(args: string[]): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = validateFiles(args, (line) => lines.push(line));
  return { code, lines };
}

test("a good file: exit 0 and a summary", () => {
  expect(run([good])).toEqual({
    code: 0,
    lines: [`${good}: ok (repository file; resources: prod-db)`],
  });
});

test("a bad file: exit 1 and each problem at file:line:column", () => {
  expect(run([good, bad])).toEqual({
    code: 1,
    lines: [
      `${good}: ok (repository file; resources: prod-db)`,
      `${bad}:4:14: resources.prod-db.timeout: timeout must be a duration such as 30m, 2h or 1d`,
    ],
  });
});

test("the server file by its name, or by --server: repos is required", () => {
  const byName = run([server]);
  expect(byName.code).toBe(1);
  expect(byName.lines[0]).toMatch(/countersign\.server\.yml:3:5: resources\.prod-db\.repos: /);
  expect(run(["--server", good]).code).toBe(1);
});

test("usage errors: exit 2", () => {
  expect(run(["--nope"]).code).toBe(2);
  expect(run([join(dir, "missing.yml")]).code).toBe(1);
});
