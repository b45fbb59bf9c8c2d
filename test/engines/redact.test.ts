import { REDACTED, redactCredentials } from "../../src/engines/redact.js";

describe("redactCredentials", () => {
  const url = "postgres://app_user:p%40ss%3Aw0rd@db.internal:5432/prod?sslmode=require";

  it("removes the whole URL", () => {
    const out = redactCredentials(`could not connect to ${url}: timeout`, url);
    expect(out).not.toContain("db.internal:5432/prod?sslmode");
    expect(out).not.toContain("app_user");
    expect(out).toContain(REDACTED);
  });

  it("removes the password, percent-encoded and decoded, even inside other text", () => {
    expect(redactCredentials("pw was p@ss:w0rd!", url)).toBe(`pw was ${REDACTED}!`);
    expect(redactCredentials("raw p%40ss%3Aw0rd", url)).toBe(`raw ${REDACTED}`);
    expect(redactCredentials("xp@ss:w0rdx", url)).toBe(`x${REDACTED}x`);
  });

  it("removes the user name as a word, without mangling identifiers that merely contain it", () => {
    expect(redactCredentials('password authentication failed for user "app_user"', url)).toBe(
      `password authentication failed for user "${REDACTED}"`,
    );
    expect(redactCredentials("relation app_user_logs does not exist", url)).toBe(
      "relation app_user_logs does not exist",
    );
  });

  it("removes userinfo of any connection URL and Password= pairs, whatever the resource", () => {
    expect(redactCredentials("see mssql://sa:Other1@host:1433/db", url)).toBe(
      `see mssql://${REDACTED}@host:1433/db`,
    );
    expect(redactCredentials("Server=x;User Id=sa;Password=Hunter2;", url)).toBe(
      `Server=x;User Id=sa;Password=${REDACTED};`,
    );
  });

  it("removes secrets given as query parameters", () => {
    const q = "mssql://host:1433/db?user=svc_account&password=QueryPw9";
    expect(redactCredentials("login failed for svc_account with QueryPw9", q)).toBe(
      `login failed for ${REDACTED} with ${REDACTED}`,
    );
  });

  it("handles a URL that URL() cannot parse and one without credentials", () => {
    const broken = "postgres://bob:s3cr3t@[bad";
    expect(redactCredentials("bob used s3cr3t", broken)).toBe(`${REDACTED} used ${REDACTED}`);
    expect(redactCredentials("nothing to hide", "postgres://db:5432/x")).toBe("nothing to hide");
    expect(redactCredentials("text", "")).toBe("text");
  });

  it("treats regex metacharacters in credentials literally", () => {
    const u = "postgres://a.b+c:x*y(z)@h/d";
    expect(redactCredentials("user a.b+c pw x*y(z) and aXb+c", u)).toBe(
      `user ${REDACTED} pw ${REDACTED} and aXb+c`,
    );
  });
});
