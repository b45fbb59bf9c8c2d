/**
 * Posting to an incoming webhook, against a real HTTP server on 127.0.0.1: what it receives,
 * how each failure is reported (status, the wait a 429 asks for), and that the URL, a secret,
 * never shows in an error however the post fails.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { notificationMessage } from "../../src/notify/message.js";
import { MAX_RETRY_AFTER_MS, NotifyFailed, sendNotification } from "../../src/notify/send.js";

const SECRET = "T0AAA/B0BBB/Xy7sEcReTtOkEn42";
const message = notificationMessage({
  kind: "outcome",
  requestId: 12,
  resource: "prod-db",
  repo: "acme/ops",
  requester: "alice",
  prUrl: "https://github.com/acme/ops/pull/13",
  status: "succeeded",
});

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

let server: Server;
let base: string;
let received: Received[];
let answer: Answer;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      received.push({
        method: request.method ?? "",
        url: request.url ?? "",
        contentType: request.headers["content-type"],
        body,
      });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  answer = (_, response) => response.end("ok");
});

const hookUrl = () => `${base}/services/${SECRET}`;

/** The error `sendNotification` threw, checked to carry no part of the URL. */
async function failure(
  url = hookUrl(),
  timeoutMs = 5_000,
  now?: () => number,
): Promise<NotifyFailed> {
  const error = await sendNotification(url, message, { timeoutMs, now }).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(NotifyFailed);
  const failed = error as NotifyFailed;
  for (const shown of [
    failed.message,
    String(failed),
    failed.stack ?? "",
    JSON.stringify(failed),
  ]) {
    expect(shown).not.toContain(url);
    expect(shown).not.toContain("Xy7sEcReTtOkEn42");
    expect(shown).not.toContain("/services/");
  }
  return failed;
}

test("posts the message as JSON; any 2xx is delivered", async () => {
  expect(await sendNotification(hookUrl(), message, { timeoutMs: 5_000 })).toEqual({ ok: true });
  expect(received).toEqual([
    {
      method: "POST",
      url: `/services/${SECRET}`,
      contentType: "application/json",
      body: JSON.stringify(message),
    },
  ]);
});

test("a 500 throws with the status and no wait, so the job runner backs off", async () => {
  answer = (_, response) => response.writeHead(500).end("internal error");
  const failed = await failure();
  expect(failed).toMatchObject({
    status: 500,
    retryAfterMs: undefined,
    message: "the notify webhook answered HTTP 500",
  });
});

// The server's clock and ours are fixed, so the wait read from an HTTP date is exact and a
// loaded machine cannot move it.
const NOW_MS = Date.parse("2026-12-05T12:00:00Z");
test.each([
  ["seconds", "7", 7_000],
  ["an HTTP date", new Date(NOW_MS + 60_000).toUTCString(), 60_000],
  ["an HTTP date already past", new Date(NOW_MS - 5_000).toUTCString(), 0],
  ["more than an hour, cut to an hour", "86400", MAX_RETRY_AFTER_MS],
])("a 429 with retry-after in %s carries the wait", async (_, header, expected) => {
  answer = (_request, response) => response.writeHead(429, { "retry-after": header }).end();
  const failed = await failure(hookUrl(), 5_000, () => NOW_MS);
  expect(failed.status).toBe(429);
  expect(failed.retryAfterMs).toBe(expected);
  expect(failed.message).toMatch(/^the notify webhook answered HTTP 429; retry after \d+ s$/);
});

test("Slack's error word is kept; an answer that echoes the URL is not", async () => {
  answer = (_, response) => response.writeHead(404).end("no_service");
  expect((await failure()).message).toBe("the notify webhook answered HTTP 404 (no_service)");

  answer = (request, response) => response.writeHead(400).end(`bad hook ${request.url ?? ""}`);
  expect((await failure()).message).toBe("the notify webhook answered HTTP 400");

  // A lone lowercase word that is part of the URL could be its secret: left out too.
  const url = `${base}/services/onlylowercasesecret`;
  answer = (_, response) => response.writeHead(403).end("onlylowercasesecret");
  expect((await failure(url)).message).toBe("the notify webhook answered HTTP 403");
});

test("a redirect is not followed: the message goes nowhere else", async () => {
  answer = (_, response) => response.writeHead(302, { location: `${base}/elsewhere` }).end();
  const failed = await failure();
  expect(failed.status).toBe(302);
  expect(failed.message).toBe("the notify webhook answered HTTP 302 (redirects are not followed)");
  expect(received.map((request) => request.url)).toEqual([`/services/${SECRET}`]);
});

test("a server that does not answer in time, and one that is not there", async () => {
  answer = () => undefined; // never answers
  const slow = await failure(hookUrl(), 200);
  expect(slow).toMatchObject({ status: undefined, retryAfterMs: undefined });
  expect(slow.message).toBe("the notify webhook did not answer within 200 ms");

  // A port nothing listens on: a closed server's.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const refused = await failure(`http://127.0.0.1:${port}/services/${SECRET}`);
  expect(refused.message).toBe("the notify webhook could not be reached (ECONNREFUSED)");
});

test("fetch's own messages, which quote the URL, are never passed on", async () => {
  // fetch refuses a URL with credentials and names the URL in its message.
  const url = `http://user:Xy7sEcReTtOkEn42@127.0.0.1:1/services/${SECRET}`;
  const failed = await failure(url);
  expect(failed.message).toBe("the notify webhook could not be reached (TypeError)");
});
