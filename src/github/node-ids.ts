/**
 * GraphQL node ids of teams and labels, cached per process: they never change for a given
 * team or label, and looking them up on every request would spend the API budget for nothing.
 */
import { httpStatus, type GitHub, type RepoRef } from "./client.js";

const teamIds = new Map<string, string | null>();
const labelIds = new Map<string, string>();
const userIds = new Map<string, string | null>();

/** The node id of `org/slug`, or null when the team does not exist or is invisible to the app. */
export async function teamNodeId(
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
export async function labelNodeId(github: GitHub, repo: RepoRef, name: string): Promise<string> {
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

/** Forget cached ids (tests; a team renamed). */
export function clearNodeIdCaches(): void {
  teamIds.clear();
  labelIds.clear();
  userIds.clear();
}

/** The node id of a user (for user-list review requests), or null when there is none. */
export async function userNodeId(github: GitHub, login: string): Promise<string | null> {
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
