/**
 * What the idempotent-write tests share: a /run taken in through a real webhook, the GitHub
 * calls of open_request that are not under test, and a record of what "GitHub" holds, so a
 * test can answer 502 to a write it applied and then show the write to the look that follows.
 */
import nock from "nock";
import {
  API,
  mockConfig,
  mockInstallationToken,
  mockPermission,
  type Harness,
} from "../helpers/github.js";
import { OWNER, REPO, issueCommentCreated } from "../helpers/payloads.js";

export const CONFIG = `
resources:
  prod-db:
    approvals:
      all_of:
        - { team: dba, min: 1 }
        - { team: security, min: 1 }
    timeout: 24h
`;

export const COMMAND = "UPDATE users SET status = 'inactive' WHERE id = 123;";
export const PR_URL = `https://github.com/${OWNER}/${REPO}/pull/42`;

export interface StoredComment {
  id: number;
  body: string;
  url: string;
}

/** The comments GitHub holds, by thread (an issue number or a node id). */
export class Threads {
  private readonly byThread = new Map<string, StoredComment[]>();
  private nextId = 700;

  add(thread: string | number, body: string): StoredComment {
    const id = this.nextId++;
    const comment = {
      id,
      body,
      url: `https://github.com/${OWNER}/${REPO}/issues/1#issuecomment-${id}`,
    };
    this.on(thread).push(comment);
    return comment;
  }

  on(thread: string | number): StoredComment[] {
    const key = String(thread);
    if (!this.byThread.has(key)) this.byThread.set(key, []);
    return this.byThread.get(key) as StoredComment[];
  }

  /** As the REST list of an issue's comments answers. */
  rest(thread: number): object[] {
    return this.on(thread).map((comment) => ({
      id: comment.id,
      body: comment.body,
      html_url: comment.url,
      user: { login: "countersign[bot]", type: "Bot" },
    }));
  }

  /** As the `Marked` GraphQL query (github/comments.ts) answers for the given thread ids. */
  graphql(variables: Record<string, string>): object {
    const data = Object.fromEntries(
      Object.entries(variables).map(([alias, thread]) => [
        alias,
        {
          comments: {
            nodes: this.on(thread).map(({ body, url }) => ({
              body,
              url,
              author: { __typename: "Bot" },
            })),
          },
        },
      ]),
    );
    return { data };
  }
}

export interface GraphqlBody {
  query: string;
  variables: Record<string, string>;
}

/** Delivers `/run prod-db …` on issue 7; the request is 1 and its open_request job queued. */
export async function takeRun(harness: Harness): Promise<void> {
  const scope = mockInstallationToken(nock(API));
  mockConfig(scope, OWNER, REPO, CONFIG);
  mockPermission(scope, OWNER, REPO, "alice", "write");
  await harness.probot.receive({
    id: "delivery-run",
    name: "issue_comment",
    payload: issueCommentCreated({ body: `/run prod-db ${COMMAND}` }),
  } as Parameters<Harness["probot"]["receive"]>[0]);
}

/** open_request's first calls: the base branch head, the branch, the request file. */
export function mockBranchAndFile(scope: nock.Scope): nock.Scope {
  return scope
    .get(`/repos/${OWNER}/${REPO}/git/ref/${encodeURIComponent("heads/main")}`)
    .reply(200, { ref: "refs/heads/main", object: { sha: "base000", type: "commit" } })
    .post(`/repos/${OWNER}/${REPO}/git/refs`)
    .reply(201, { ref: "refs/heads/countersign/1", object: { sha: "base000" } })
    .put((path) => path.startsWith(`/repos/${OWNER}/${REPO}/contents/`))
    .reply(201, { content: {}, commit: { sha: "head111" } });
}

/** The node ids the announcement needs (teams, labels), read once per harness. */
export function mockNodeIds(scope: nock.Scope): nock.Scope {
  return scope
    .get(`/orgs/${OWNER}/teams/dba`)
    .reply(200, { id: 1, slug: "dba", node_id: "T_dba" })
    .get(`/orgs/${OWNER}/teams/security`)
    .reply(200, { id: 2, slug: "security", node_id: "T_security" })
    .get(`/repos/${OWNER}/${REPO}/labels/countersign`)
    .reply(200, { name: "countersign", node_id: "L_countersign" })
    .get(`/repos/${OWNER}/${REPO}/labels/${encodeURIComponent("countersign:prod-db")}`)
    .reply(200, { name: "countersign:prod-db", node_id: "L_prod" });
}

/** The request PR as GitHub lists it: opened by this app, from our branch into main. */
export function ourPull(login = "countersign[bot]"): object {
  return {
    number: 42,
    node_id: "PR_node_42",
    html_url: PR_URL,
    head: { ref: "countersign/1", sha: "head111" },
    base: { ref: "main" },
    user: { login, type: "Bot" },
  };
}

/** Runs again a job that is waiting for its retry, as if its backoff had passed. */
export async function backoffPassed(harness: Harness): Promise<void> {
  const { knex } = harness.services.database;
  await knex("jobs").whereNull("done_at").update({ run_after: knex.fn.now() });
}
