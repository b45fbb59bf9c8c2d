import { MAX_NOTICES, NoticeCollector } from "../../src/engines/notice-collector.js";

describe("NoticeCollector", () => {
  it("redacts and bounds notices", () => {
    const n = new NoticeCollector((t) => t.replace("secret", "[redacted]"));
    for (let i = 0; i < MAX_NOTICES + 3; i++) n.add(`secret ${i}`);
    expect(n.notices[0]).toBe("[redacted] 0");
    expect(n.notices).toHaveLength(MAX_NOTICES + 1);
    expect(n.notices.at(-1)).toContain("3 more notice(s) not kept");
  });
});
