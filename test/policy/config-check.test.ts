/** Problems placed on their line and column, for `countersign validate` and the check run. */
import { checkConfigText, guessKind } from "../../src/policy/config-check.js";

test("a good repository file", () => {
  const result = checkConfigText("resources:\n  prod-db:\n    approvals: none\n");
  expect(result).toMatchObject({ ok: true, kind: "repository" });
});

test("a good server file is recognised by its repos", () => {
  const text = "resources:\n  prod-db:\n    repos: [acme/*]\n    approvals: none\n";
  expect(checkConfigText(text)).toMatchObject({ ok: true, kind: "server" });
});

test.each<[string, string, { path: string; line: number; column: number; message: RegExp }[]]>([
  [
    "a wrong value: on the value",
    "resources:\n  prod-db:\n    approvals:\n      all_of:\n        - { team: dba, min: 0 }\n",
    [
      {
        path: "resources.prod-db.approvals.all_of[0].min",
        line: 5,
        column: 29,
        message: /at least 1/,
      },
    ],
  ],
  [
    "an unknown key: on its mapping",
    "resources:\n  prod-db:\n    aprovals: none\n    approvals: none\n",
    [{ path: "resources.prod-db", line: 3, column: 5, message: /aprovals/ }],
  ],
  [
    "a missing key: where it should be",
    "resources:\n  prod-db:\n    timeout: 1h\n",
    [{ path: "resources.prod-db.approvals", line: 3, column: 5, message: /approvals/ }],
  ],
  [
    "a bad duration",
    "resources:\n  prod-db:\n    approvals: none\n    timeout: soon\n",
    [{ path: "resources.prod-db.timeout", line: 4, column: 14, message: /duration/ }],
  ],
  [
    "audit_branch in a repository file",
    "audit_branch: main\nresources:\n  prod-db:\n    approvals: none\n",
    [{ path: "audit_branch", line: 1, column: 15, message: /server file/ }],
  ],
  [
    "a pattern RE2 cannot take",
    "resources:\n  prod-db:\n    approvals: none\n    guardrails:\n      deny: [{ name: x, pattern: '(a)\\1' }]\n",
    [
      {
        path: "resources.prod-db.guardrails.deny[0].pattern",
        line: 5,
        column: 34,
        message: /./,
      },
    ],
  ],
  [
    "not YAML",
    "resources:\n  prod-db: [unclosed\n",
    [{ path: "(file)", line: 3, column: 1, message: /./ }],
  ],
])("%s", (_name, text, expected) => {
  const result = checkConfigText(text, "repository");
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.problems).toHaveLength(expected.length);
  result.problems.forEach((problem, index) => {
    const want = expected[index];
    if (want === undefined) return;
    expect({ path: problem.path, line: problem.line, column: problem.column }).toEqual({
      path: want.path,
      line: want.line,
      column: want.column,
    });
    expect(problem.message).toMatch(want.message);
  });
});

test("server file problems carry their place too", () => {
  const result = checkConfigText(
    "resources:\n  prod-db:\n    repos: [acme]\n    approvals: none\n",
    "server",
  );
  expect(result).toMatchObject({
    ok: false,
    problems: [{ path: "resources.prod-db.repos[0]", line: 3, column: 13 }],
  });
});

test("guessKind", () => {
  expect(guessKind(null)).toBe("repository");
  expect(guessKind({ resources: { a: { repos: [] } } })).toBe("server");
  expect(guessKind({ resources: { a: { approvals: "none" } } })).toBe("repository");
});
