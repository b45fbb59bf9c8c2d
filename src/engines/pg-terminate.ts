/**
 * Stops a command whose worker died (DESIGN §1.5, #15): the lease sweeper terminates the
 * backend the worker recorded before running it, so the target does not keep working (and
 * holding row locks) until the statement timeout. The pid and the backend's start time
 * together name that one session: a pid reused by a later session is never touched.
 */
import { pgClient } from "./postgres-session.js";
import { redactCredentials } from "./redact.js";
import { messageOf } from "./thrown-message.js";
import type { SessionIdentity } from "./types.js";
import { dialectOfUrl } from "./url-dialect.js";

export type TerminateResult =
  | { terminated: boolean }
  /** Not a PostgreSQL resource, or the server could not be reached (message redacted). */
  | { terminated: false; problem: string };

export async function terminateSession(
  url: string,
  identity: SessionIdentity,
): Promise<TerminateResult> {
  if (dialectOfUrl(url.trim()) !== "postgres") {
    return { terminated: false, problem: "only PostgreSQL sessions can be terminated" };
  }
  const client = pgClient(url.trim(), {}, "countersign-sweeper");
  client.on("error", () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated
         FROM pg_catalog.pg_stat_activity
        WHERE pid = $1 AND (extract(epoch FROM backend_start) * 1000000)::bigint = $2::bigint`,
      [identity.backendPid, identity.backendStart],
    );
    return { terminated: result.rows[0]?.terminated === true };
  } catch (error) {
    return { terminated: false, problem: redactCredentials(messageOf(error), url) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
