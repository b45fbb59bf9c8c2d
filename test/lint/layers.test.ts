/**
 * The import rules of DESIGN §3, the one caller of store transitions and the size limits,
 * checked through ESLint itself with the repository's own configuration: an import that
 * runs back up fails `npm test`.
 */
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`);
}

const importing = (path: string) => `import { x } from "${path}";\nexport const y = x;\n`;

describe("imports never run back up (DESIGN §3)", () => {
  test.each([
    ["src/store/requests.ts", "../requests/intake.js", "a door (store)"],
    ["src/store/jobs.ts", "../lifecycle/moves.js", "a door (store)"],
    ["src/github/reviews.ts", "../store/requests.js", "a door (github)"],
    ["src/engines/index.ts", "../worker/recheck.js", "a door (engines)"],
    ["src/policy/evaluate.ts", "../github/client.js", "the pure core"],
    ["src/render/result.ts", "../store/requests.js", "the pure core"],
    ["src/guardrails/classify.ts", "knex", "the pure core"],
    ["src/lifecycle/records.ts", "./moves.js", "lifecycle's pure data"],
    ["src/lifecycle/moves.ts", "../requests/intake.js", "the lifecycle"],
    ["src/requests/intake.ts", "../handlers/issues.js", "a use case"],
    ["src/worker/recheck.ts", "../jobs/runner.js", "a use case"],
    ["src/handlers/issues.ts", "../store/requests.js", "a handler"],
    ["src/jobs/handlers.ts", "../server/main.js", "the job runner"],
  ])("%s may not import %s", async (file, target, layer) => {
    expect(await problems(file, importing(target))).toEqual([
      expect.stringMatching(
        new RegExp(`^no-restricted-imports: .*${layer.replace(/[()]/g, "\\$&")} must not import`),
      ),
    ]);
  });

  test.each([
    ["src/worker/recheck.ts", "../lifecycle/moves.js"],
    ["src/lifecycle/outcome.ts", "../github/client.js"],
    ["src/store/requests.ts", "../lifecycle/records.js"],
    ["src/render/result.ts", "../engines/types.js"],
    ["src/store/approved-listener.ts", "../engines/redact.js"],
    ["src/handlers/issues.ts", "../requests/intake.js"],
    ["src/jobs/handlers.ts", "../requests/open-request.js"],
  ])("%s may import %s", async (file, target) => {
    expect(await problems(file, importing(target))).toEqual([]);
  });
});

describe("the lifecycle is the only caller of store transitions", () => {
  const call = "export const f = (store: { transition(): void }) => store.transition();\n";

  test("a use case calling store.transition is refused", async () => {
    expect(await problems("src/requests/cancel.ts", call)).toEqual([
      expect.stringMatching(/^no-restricted-syntax: .*only through src\/lifecycle\/moves\.ts/),
    ]);
  });

  test("lifecycle/moves.ts may", async () => {
    expect(await problems("src/lifecycle/moves.ts", call)).toEqual([]);
  });
});

describe("sizes a reader can hold in their head", () => {
  const lines = (count: number) => Array.from({ length: count }, (_, n) => `  total += ${n};`);

  test("a function of 81 lines is refused, one of 80 is not", async () => {
    const fn = (body: number) =>
      [
        "export function f(): number {",
        "  let total = 0;",
        ...lines(body - 4),
        "  return total;",
        "}",
        "",
      ].join("\n");
    expect(await problems("src/render/helpers.ts", fn(81))).toEqual([
      expect.stringMatching(/^max-lines-per-function: .*too many lines \(81\)/),
    ]);
    expect(await problems("src/render/helpers.ts", fn(80))).toEqual([]);
  });

  test("a file of 401 lines is refused", async () => {
    const file = [...Array.from({ length: 401 }, (_, n) => `export const v${n} = ${n};`), ""];
    expect(await problems("src/render/helpers.ts", file.join("\n"))).toEqual([
      expect.stringMatching(/^max-lines: .*Maximum allowed is 400/),
    ]);
  });
});
