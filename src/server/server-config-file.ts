/**
 * Reads the server file (DESIGN §1.3) at start: `COUNTERSIGN_CONFIG`, else
 * `countersign.server.yml` in the working directory. A bad file stops the app with the path
 * and every problem: a server that guessed at its own floor would guard nothing. A missing
 * file at the default path is allowed (a first `npm start` has none yet): no resource exists
 * then, and every `/run` is told so.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import {
  DEFAULT_SERVER_CONFIG_PATH,
  EMPTY_SERVER_CONFIG,
  parseServerConfig,
  type ServerConfig,
} from "../policy/server-config.js";

export class ServerConfigError extends Error {}

export interface LoadedServerConfig {
  config: ServerConfig;
  path: string;
  /** False when the default file does not exist (no resources). */
  found: boolean;
}

export function loadServerConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): LoadedServerConfig {
  const explicit = env.COUNTERSIGN_CONFIG !== undefined && env.COUNTERSIGN_CONFIG.trim() !== "";
  const path = resolve(
    cwd,
    explicit ? (env.COUNTERSIGN_CONFIG as string) : DEFAULT_SERVER_CONFIG_PATH,
  );
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return { config: EMPTY_SERVER_CONFIG, path, found: false };
    throw new ServerConfigError(`cannot read the server file ${path}: ${String(error)}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ServerConfigError(`the server file ${path} is not valid YAML: ${String(error)}`);
  }
  const parsed = parseServerConfig(raw);
  if (!parsed.ok) {
    const lines = parsed.problems.map((problem) => `  ${problem.path}: ${problem.message}`);
    throw new ServerConfigError(`the server file ${path} is invalid:\n${lines.join("\n")}`);
  }
  return { config: parsed.config, path, found: true };
}
