/**
 * Where a resource's notifications go: an incoming-webhook URL in the server's environment,
 * beside the resource's connection URL, never in a repository (pure: the caller passes the
 * environment). An incoming-webhook URL is a secret (whoever has it can post to the channel),
 * so no problem reported here quotes it.
 */
import { notifyUrlVariable } from "../policy/config.js";

export { notifyUrlVariable };

export type NotifyUrl =
  /** No variable, or an empty one: the resource has no notifications. */
  | { state: "unset" }
  /** Set, but not a URL Countersign will post to; `problem` names the variable, not the URL. */
  | { state: "invalid"; problem: string }
  | { state: "ok"; url: string };

/**
 * Plain http only to this machine's loopback: the tests' local server, or a relay on the same
 * host. Anywhere else the URL (the secret) and the message would cross the network in clear.
 */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The resource's notify URL from `env`, checked: https, or http to the loopback only. */
export function readNotifyUrl(env: NodeJS.ProcessEnv, resource: string): NotifyUrl {
  const variable = notifyUrlVariable(resource);
  const raw = env[variable]?.trim() ?? "";
  if (raw === "") return { state: "unset" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { state: "invalid", problem: `${variable} is not a URL` };
  }
  const loopback = url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !loopback) {
    return {
      state: "invalid",
      problem: `${variable} must be an https URL (plain http only to 127.0.0.1 or localhost)`,
    };
  }
  // fetch refuses URLs with credentials, and a webhook URL carries its secret in its path.
  if (url.username !== "" || url.password !== "") {
    return { state: "invalid", problem: `${variable} must not hold a user name or password` };
  }
  return { state: "ok", url: url.href };
}
