/**
 * The environment variables a resource reads on the server: its connection URL and its notify
 * URL (pure). Named from the resource so a repository never holds either secret.
 */

/** Environment variable holding a resource's connection URL: prod-db → COUNTERSIGN_RESOURCE_PROD_DB_URL. */
export function resourceUrlVariable(resource: string): string {
  return `COUNTERSIGN_RESOURCE_${resource.toUpperCase().replace(/-/g, "_")}_URL`;
}

/** prod-db → COUNTERSIGN_RESOURCE_PROD_DB_NOTIFY_URL, named like the connection URL's variable. */
export function notifyUrlVariable(resource: string): string {
  return resourceUrlVariable(resource).replace(/_URL$/, "_NOTIFY_URL");
}

/**
 * prod-db and prod_db (or PROD-DB) read the same COUNTERSIGN_RESOURCE_PROD_DB_URL: two rule
 * sets for one database would let the laxer one win. And x-notify's connection URL would be
 * x's notify URL: a database URL, credentials and all, read as a place to post messages.
 * Every variable a resource reads must be its own. A refinement for a `resources` record.
 */
export const oneRuleSetPerDatabase = [
  (resources: Record<string, unknown>) => {
    const variables = Object.keys(resources).flatMap((name) => [
      resourceUrlVariable(name),
      notifyUrlVariable(name),
    ]);
    return new Set(variables).size === variables.length;
  },
  {
    message:
      "two resource names map to the same environment variable (e.g. prod-db and prod_db, or x and x-notify)",
  },
] as const;
