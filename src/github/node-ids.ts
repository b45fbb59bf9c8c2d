/**
 * GraphQL node ids of teams, labels and users, cached by the services of one process: they
 * never change for a given team or label, and looking them up on every request would spend
 * the API budget for nothing. An instance, not module state, so each app (and each test)
 * has its own.
 */
import { httpStatus, type GitHub, type RepoRef } from "./client.js";

export class NodeIds {
  private readonly teamIds = new Map<string, string | null>();
  private readonly labelIds = new Map<string, string>();
  private readonly userIds = new Map<string, string | null>();

  teamNodeId(github: GitHub, org: string, slug: string): Promise<string | null> {
    return teamNodeId(this.teamIds, github, org, slug);
  }

  labelNodeId(github: GitHub, repo: RepoRef, name: string): Promise<string> {
    return labelNodeId(this.labelIds, github, repo, name);
  }

  userNodeId(github: GitHub, login: string): Promise<string | null> {
    return userNodeId(this.userIds, github, login);
  }
}

/** The node id of `org/slug`, or null when the team does not exist or is invisible to the app. */
async function teamNodeId(
  teamIds: Map<string, string | null>,
  github: GitHub,
  org: string,
  slug: string,
): Promise<string | null> {
  const key = `${org}/${slug}`.toLowerCase();
  const cached = teamIds.get(key);
  if (cached !== undefined) return cached;
  try {
    const { data } = await github.rest.teams.getByName({ org, team_slug: slug });
    teamIds.set(key, data.node_id);
    return data.node_id;
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}

export const LABEL_COLOR = "5319e7";

/** The node id of a label, creating the label the first time a repository needs it. */
async function labelNodeId(
  labelIds: Map<string, string>,
  github: GitHub,
  repo: RepoRef,
  name: string,
): Promise<string> {
  const key = `${repo.owner}/${repo.repo}:${name}`.toLowerCase();
  const cached = labelIds.get(key);
  if (cached !== undefined) return cached;
  let nodeId: string;
  try {
    const { data } = await github.rest.issues.getLabel({ ...repo, name });
    nodeId = data.node_id;
  } catch (error) {
    if (httpStatus(error) !== 404) throw error;
    try {
      const { data } = await github.rest.issues.createLabel({ ...repo, name, color: LABEL_COLOR });
      nodeId = data.node_id;
    } catch (createError) {
      // 422: another replica created it a moment ago; read it again.
      if (httpStatus(createError) !== 422) throw createError;
      const { data } = await github.rest.issues.getLabel({ ...repo, name });
      nodeId = data.node_id;
    }
  }
  labelIds.set(key, nodeId);
  return nodeId;
}

/** The node id of a user (for user-list review requests), or null when there is none. */
async function userNodeId(
  userIds: Map<string, string | null>,
  github: GitHub,
  login: string,
): Promise<string | null> {
  const key = login.toLowerCase();
  const cached = userIds.get(key);
  if (cached !== undefined) return cached;
  try {
    const { data } = await github.rest.users.getByUsername({ username: login });
    userIds.set(key, data.node_id);
    return data.node_id;
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}
