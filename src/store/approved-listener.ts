/**
 * Wake-ups for workers on a shared PostgreSQL: `LISTEN countersign_approved` on a dedicated
 * connection (a pooled one would be handed to other queries). The request store NOTIFYs in
 * the transaction that approves a request. Polling stays the fallback: a notification sent
 * while this connection was down is simply missed, and the next poll finds the request.
 */
import pg from "pg";
import { redactCredentials } from "../engines/redact.js";
import { APPROVED_CHANNEL } from "./requests.js";

export interface Listener {
  close(): Promise<void>;
}

interface Logger {
  warn(object: object, message: string): void;
}

const RECONNECT_MS = 5_000;

export function listenForApproved(
  url: string,
  onApproved: (requestId: number) => void,
  log: Logger,
): Listener {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const next = new pg.Client({ connectionString: url, application_name: "countersign-listen" });
    const reconnect = () => {
      if (closed || client !== next) return;
      client = null;
      void next.end().catch(() => undefined);
      retry = setTimeout(() => void connect(), RECONNECT_MS);
    };
    next.on("error", (error) => {
      log.warn(
        { err: redactCredentials(error.message, url) },
        "approval listener lost its connection; polling meanwhile",
      );
      reconnect();
    });
    next.on("end", reconnect);
    next.on("notification", (message) => {
      const id = Number(message.payload);
      if (message.channel === APPROVED_CHANNEL && Number.isSafeInteger(id)) onApproved(id);
    });
    client = next;
    try {
      await next.connect();
      await next.query(`LISTEN ${APPROVED_CHANNEL}`);
      // Whatever was approved while we were not listening: let the caller look once.
      onApproved(0);
    } catch (error) {
      log.warn(
        { err: redactCredentials(error instanceof Error ? error.message : String(error), url) },
        "approval listener could not connect; polling meanwhile",
      );
      reconnect();
    }
  };
  void connect();

  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}
