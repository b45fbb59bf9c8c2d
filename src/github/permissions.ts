import { httpStatus, type GitHub, type RepoRef } from "./client.js";

export type RepositoryPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

/**
 * The requester's permission on the repository. `permission` folds maintain into write and
 * triage into read, which is exactly the line Countersign draws (write or more may ask).
 */
export async function getRepositoryPermission(
  github: GitHub,
  repo: RepoRef,
  login: string,
): Promise<RepositoryPermission> {
  try {
    const { data } = await github.rest.repos.getCollaboratorPermissionLevel({
      ...repo,
      username: login,
    });
    return data.permission as RepositoryPermission;
  } catch (error) {
    // 404: not a collaborator at all.
    if (httpStatus(error) === 404) return "none";
    throw error;
  }
}

export function canRequest(permission: RepositoryPermission): boolean {
  return permission === "admin" || permission === "maintain" || permission === "write";
}
