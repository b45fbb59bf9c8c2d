/**
 * Checks the text of a configuration file (the repository's `.github/countersign.yml` or the
 * server's `countersign.server.yml`) and places every problem on its line and column, for
 * `countersign validate` and the `countersign/config` check run. Pure: text in, problems out.
 */
import { LineCounter, parseDocument, isNode, type Node } from "yaml";
import { parseConfig, type ConfigProblem, type ResourcePolicy } from "./config.js";
import { parseServerConfig, type ServerConfig } from "./server-config.js";

export type ConfigKind = "repository" | "server";

export interface LocatedProblem extends ConfigProblem {
  /** 1-based. */
  line: number;
  column: number;
}

export type ConfigCheck =
  | { ok: true; kind: "repository"; resources: Record<string, ResourcePolicy> }
  | { ok: true; kind: "server"; config: ServerConfig }
  | { ok: false; kind: ConfigKind; problems: LocatedProblem[] };

/** `resources.prod-db.approvals.all_of[0].min` → ["resources", "prod-db", "approvals", "all_of", 0, "min"]. */
function pathSegments(path: string): (string | number)[] {
  if (path.startsWith("(")) return [];
  const segments: (string | number)[] = [];
  for (const part of path.split(".")) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (match === null) {
      segments.push(part);
      continue;
    }
    if (match[1] !== "") segments.push(match[1] as string);
    for (const index of (match[2] ?? "").matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

/**
 * Where a path is in the document: the node itself, or else the deepest parent that exists
 * (a missing key is reported where it should have been).
 */
function offsetOf(document: ReturnType<typeof parseDocument>, path: string): number {
  const segments = pathSegments(path);
  for (let length = segments.length; length > 0; length -= 1) {
    const node: unknown = document.getIn(segments.slice(0, length), true);
    if (isNode(node) && (node as Node).range) return (node as Node).range?.[0] ?? 0;
  }
  return document.contents?.range?.[0] ?? 0;
}

/** Guesses the kind when not told: only a server file has `repos` under its resources. */
export function guessKind(raw: unknown): ConfigKind {
  const resources = (raw as { resources?: unknown } | null)?.resources;
  if (resources === null || typeof resources !== "object") return "repository";
  return Object.values(resources).some(
    (resource) => resource !== null && typeof resource === "object" && "repos" in resource,
  )
    ? "server"
    : "repository";
}

export function checkConfigText(text: string, kind?: ConfigKind): ConfigCheck {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const place = (offset: number) => lineCounter.linePos(offset);
  if (document.errors.length > 0) {
    return {
      ok: false,
      kind: kind ?? "repository",
      problems: document.errors.map((error) => {
        const { line, col } = place(error.pos[0]);
        return { path: "(file)", message: error.message.split("\n")[0] ?? "", line, column: col };
      }),
    };
  }
  const raw: unknown = document.toJS();
  const resolved = kind ?? guessKind(raw);
  const result = resolved === "server" ? parseServerConfig(raw) : parseConfig(raw);
  if (result.ok) {
    return resolved === "server"
      ? { ok: true, kind: "server", config: (result as { config: ServerConfig }).config }
      : {
          ok: true,
          kind: "repository",
          resources: (result as { config: { resources: Record<string, ResourcePolicy> } }).config
            .resources,
        };
  }
  return {
    ok: false,
    kind: resolved,
    problems: result.problems.map((problem) => {
      const { line, col } = place(offsetOf(document, problem.path));
      return { ...problem, line, column: col };
    }),
  };
}
