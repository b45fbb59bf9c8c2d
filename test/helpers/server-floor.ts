/**
 * Server files for tests. Most tests are about what a repository's rule does, so their
 * server declares the resources with a floor that asks for nothing and allows everything a
 * repository may ask for: the repository's rule alone then decides, as it did before the
 * server owned the floor. Tests of the floor itself build strict ones with `serverConfig`.
 */
import { parseServerConfig, type ServerConfig } from "../../src/policy/server-config.js";

export function serverConfig(resources: Record<string, object>): ServerConfig {
  const parsed = parseServerConfig({ resources });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

/** A floor that leaves every decision to the repository's file. */
export const OPEN_FLOOR = {
  approvals: "none",
  guardrails: { deny: [], allow_unparsed: true },
  auto_approve: ["read"],
  timeout: "30d",
  jit: { max_duration: "30d", approvals: "none" },
};

export function openServerConfig(
  owner = "acme",
  names: readonly string[] = ["prod-db", "staging-db", "no-jit-db", "replica"],
): ServerConfig {
  return serverConfig(
    Object.fromEntries(names.map((name) => [name, { repos: [`${owner}/*`], ...OPEN_FLOOR }])),
  );
}
