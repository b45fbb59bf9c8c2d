/**
 * `countersign validate [--server|--repository] [file …]`: checks configuration files before
 * they are committed or deployed, and prints each problem as `file:line:column: path:
 * message`. Without a file it checks `.github/countersign.yml` and, when present,
 * `countersign.server.yml`. Exit code 1 when any file has a problem, 2 on usage errors.
 */
import { existsSync, readFileSync } from "node:fs";
import { checkConfigText, type ConfigKind } from "../policy/config-check.js";
import { CONFIG_PATH } from "../policy/config.js";
import { DEFAULT_SERVER_CONFIG_PATH } from "../policy/server-config.js";

export function validateFiles(args: readonly string[], out: (line: string) => void): 0 | 1 | 2 {
  let kind: ConfigKind | undefined;
  const files: string[] = [];
  for (const arg of args) {
    if (arg === "--server") kind = "server";
    else if (arg === "--repository") kind = "repository";
    else if (arg.startsWith("-")) {
      out(`unknown option ${arg}; usage: countersign validate [--server|--repository] [file …]`);
      return 2;
    } else files.push(arg);
  }
  if (files.length === 0) {
    files.push(...[CONFIG_PATH, DEFAULT_SERVER_CONFIG_PATH].filter((file) => existsSync(file)));
    if (files.length === 0) {
      out(`nothing to check: neither ${CONFIG_PATH} nor ${DEFAULT_SERVER_CONFIG_PATH} exists here`);
      return 2;
    }
  }
  let failed = false;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      out(`${file}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
      failed = true;
      continue;
    }
    const fileKind = kind ?? (file.endsWith(DEFAULT_SERVER_CONFIG_PATH) ? "server" : undefined);
    const result = checkConfigText(text, fileKind);
    if (result.ok) {
      const names =
        result.kind === "server"
          ? Object.keys(result.config.resources)
          : Object.keys(result.resources);
      out(`${file}: ok (${result.kind} file; resources: ${names.join(", ") || "none"})`);
      continue;
    }
    failed = true;
    for (const problem of result.problems) {
      out(`${file}:${problem.line}:${problem.column}: ${problem.path}: ${problem.message}`);
    }
  }
  return failed ? 1 : 0;
}

const [command, ...rest] = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1] ?? ""}` || process.env.COUNTERSIGN_CLI === "1") {
  if (command !== "validate") {
    console.error("usage: countersign validate [--server|--repository] [file …]");
    process.exit(2);
  }
  process.exit(validateFiles(rest, (line) => console.log(line)));
}
