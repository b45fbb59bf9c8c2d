/**
 * Records every request the watched nock scopes answered, so a test can assert the exact
 * GitHub calls made (and count the content-creating ones), not only that some were made.
 */
import type nock from "nock";

export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
}

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface Recorder {
  calls: RecordedCall[];
  watch(scope: nock.Scope): nock.Scope;
  /** Content-creating calls, without the installation-token exchange (auth plumbing). */
  writes(): string[];
}

export function recordCalls(): Recorder {
  const calls: RecordedCall[] = [];
  const listener = (
    request: { method: string; path: string },
    _interceptor: unknown,
    body: string,
  ) => {
    let parsed: unknown = body;
    try {
      parsed = JSON.parse(body);
    } catch {
      // not JSON: keep the raw text
    }
    calls.push({ method: request.method, path: decodeURIComponent(request.path), body: parsed });
  };
  return {
    calls,
    watch(scope) {
      scope.on("request", listener);
      return scope;
    },
    writes: () =>
      calls
        .filter((call) => WRITE_METHODS.has(call.method) && !call.path.includes("/access_tokens"))
        .map((call) => `${call.method} ${call.path}`),
  };
}
