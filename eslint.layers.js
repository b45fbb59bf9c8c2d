/**
 * DESIGN §3 as lint rules: data flows one way, entry points (handlers, jobs, server) → use
 * cases (requests, worker) → lifecycle → the doors (store, github, engines) and the pure
 * core (commands, policy, guardrails, render; and the pure files of lifecycle/, states and
 * records, and of engines/, types and redact).
 * An import that runs back up fails `npm test`. Also the size limits a reader can hold in
 * their head, and the one caller of store transitions.
 */

const up = (...folders) => folders.map((folder) => `../${folder}/*`);
const ENTRY = [...up("handlers", "jobs", "server"), "../app.js"];
const USE_CASES = up("requests", "worker");
/** lifecycle/ except its pure data, which every layer may read. */
const LIFECYCLE = ["../lifecycle/*", "!../lifecycle/states.js", "!../lifecycle/records.js"];
/**
 * engines/ except its pure parts: the outcome's types, the credential redactor, which the
 * renderer and the store's own error messages use too, and the plan's shapes and rules
 * (plan-types.ts: no I/O), which the renderer and the request records read.
 */
const ENGINES = [
  "../engines/*",
  "!../engines/types.js",
  "!../engines/redact.js",
  "!../engines/plan-types.js",
];
const IO_PACKAGES = ["knex", "pg", "pg-cursor", "mssql", "probot", "@octokit/*", "node:net"];

const message = (layer) => `${layer} must not import this (DESIGN §3: nothing imports upward)`;

/** One `no-restricted-imports` rule per layer. */
function restrict(files, groups, layer) {
  return {
    files,
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: groups, message: message(layer) }] },
      ],
    },
  };
}

export const layerRules = [
  restrict(
    [
      "src/commands/**",
      "src/policy/**",
      "src/guardrails/**",
      "src/render/**",
      "src/notify/message.ts",
      "src/notify/notify-url.ts",
    ],
    [...ENTRY, ...USE_CASES, ...LIFECYCLE, ...up("store", "github"), ...ENGINES, ...IO_PACKAGES],
    "the pure core",
  ),
  restrict(
    ["src/store/**"],
    [...ENTRY, ...USE_CASES, ...LIFECYCLE, ...up("github"), ...ENGINES],
    "a door (store)",
  ),
  restrict(
    ["src/github/**"],
    [...ENTRY, ...USE_CASES, ...LIFECYCLE, ...up("store"), ...ENGINES],
    "a door (github)",
  ),
  restrict(
    ["src/engines/**"],
    [...ENTRY, ...USE_CASES, ...LIFECYCLE, ...up("store", "github")],
    "a door (engines)",
  ),
  restrict(["src/lifecycle/**"], [...ENTRY, ...USE_CASES, ...ENGINES], "the lifecycle"),
  // After the rule for all of lifecycle/: in flat config the later entry wins.
  restrict(
    ["src/lifecycle/states.ts", "src/lifecycle/records.ts"],
    [
      ...ENTRY,
      ...USE_CASES,
      "./*",
      "!./states.js",
      "!./records.js",
      ...up("store", "github"),
      ...ENGINES,
      ...IO_PACKAGES,
    ],
    "lifecycle's pure data",
  ),
  restrict(["src/requests/**", "src/worker/**"], ENTRY, "a use case"),
  // Handlers parse a payload and call a use case: never the store (DESIGN §3).
  restrict(
    ["src/handlers/**"],
    [...up("store", "jobs", "server", "worker"), ...ENGINES, "../app.js"],
    "a handler",
  ),
  restrict(["src/jobs/**"], up("handlers", "server"), "the job runner"),
  {
    files: ["src/**/*.ts"],
    ignores: ["src/lifecycle/moves.ts", "src/store/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='transition']",
          message: "A request's status changes only through src/lifecycle/moves.ts (DESIGN §1).",
        },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    rules: {
      "max-lines": ["error", { max: 400, skipBlankLines: false, skipComments: false }],
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: false, skipComments: false }],
    },
  },
];
