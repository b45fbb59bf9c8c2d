/**
 * A resource's notify URL: named like its connection URL's variable, https only (plain http
 * only to the loopback), and a problem that names the variable, never the URL.
 */
import { notifyUrlVariable, readNotifyUrl } from "../../src/notify/notify-url.js";
import { resourceUrlVariable } from "../../src/policy/config.js";

test.each([
  ["prod-db", "COUNTERSIGN_RESOURCE_PROD_DB_NOTIFY_URL"],
  ["replica", "COUNTERSIGN_RESOURCE_REPLICA_NOTIFY_URL"],
  ["eu_west-2", "COUNTERSIGN_RESOURCE_EU_WEST_2_NOTIFY_URL"],
])("%s → %s, beside its connection URL's variable", (resource, variable) => {
  expect(notifyUrlVariable(resource)).toBe(variable);
  expect(variable.replace("_NOTIFY_URL", "_URL")).toBe(resourceUrlVariable(resource));
});

const VARIABLE = "COUNTERSIGN_RESOURCE_PROD_DB_NOTIFY_URL";
const read = (value: string | undefined) => readNotifyUrl({ [VARIABLE]: value }, "prod-db");

test.each([
  [
    "https://hooks.slack.com/services/T0/B0/secret",
    "https://hooks.slack.com/services/T0/B0/secret",
  ],
  ["  https://chat.example.com/hooks/abc  ", "https://chat.example.com/hooks/abc"],
  ["http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook"],
  ["http://localhost:8080/hook", "http://localhost:8080/hook"],
  ["http://[::1]:8080/hook", "http://[::1]:8080/hook"],
])("%s is used", (value, url) => {
  expect(read(value)).toEqual({ state: "ok", url });
});

test.each([undefined, "", "   "])("%j: no notifications", (value) => {
  expect(read(value)).toEqual({ state: "unset" });
});

test.each([
  ["http://hooks.example.com/services/secret", "must be an https URL"],
  ["http://127.0.0.1.evil.example/secret", "must be an https URL"],
  ["postgres://user:secret@db/prod", "must be an https URL"],
  ["ftp://example.com/secret", "must be an https URL"],
  ["hooks.slack.com/services/secret", "is not a URL"],
  ["https://user:secret@hooks.example.com/x", "must not hold a user name or password"],
])("%s is refused, and the problem does not quote it", (value, problem) => {
  const result = read(value);
  expect(result).toEqual({ state: "invalid", problem: expect.stringContaining(problem) });
  const text = result.state === "invalid" ? result.problem : "";
  expect(text).toMatch(new RegExp(`^${VARIABLE} `));
  expect(text).not.toContain("secret");
});
