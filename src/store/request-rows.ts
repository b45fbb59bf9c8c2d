/**
 * Between `requests` rows and `RequestRecord`s: column names, JSON columns (checked against
 * their schemas on the way in from the database), numbers and dates.
 */
import { JSON_COLUMN_SCHEMAS, type RequestRecord } from "../lifecycle/records.js";

export type Row = Record<string, unknown>;

const COLUMN_OF: Record<string, string> = {
  sourceKey: "source_key",
  kind: "kind",
  installationId: "installation_id",
  repoId: "repo_id",
  owner: "owner",
  repo: "repo",
  resource: "resource",
  command: "command",
  reason: "reason",
  requester: "requester",
  sourceType: "source_type",
  sourceNumber: "source_number",
  sourceCommentId: "source_comment_id",
  sourceNodeId: "source_node_id",
  sourceCommentNodeId: "source_comment_node_id",
  sourceUrl: "source_url",
  status: "status",
  statusDetail: "status_detail",
  classification: "classification",
  policy: "policy",
  result: "result",
  grantDurationMs: "grant_duration_ms",
  grantEndsAt: "grant_ends_at",
  grantId: "grant_id",
  branch: "branch",
  filePath: "file_path",
  prNumber: "pr_number",
  prNodeId: "pr_node_id",
  headSha: "head_sha",
  checkRunId: "check_run_id",
  leaseOwner: "lease_owner",
  leaseExpiresAt: "lease_expires_at",
  expiresAt: "expires_at",
  reviews: "reviews",
  pushers: "pushers",
  cancelRequestedBy: "cancel_requested_by",
  statusDigest: "status_digest",
  prUrl: "pr_url",
  baseBranch: "base_branch",
  notBefore: "not_before",
  scheduledBy: "scheduled_by",
};
type JsonField = keyof typeof JSON_COLUMN_SCHEMAS;
const isJsonField = (field: string): field is JsonField =>
  Object.hasOwn(JSON_COLUMN_SCHEMAS, field);

/** A JSON column's value, checked against its schema: a row that does not fit is an error. */
function readJson(field: JsonField, raw: unknown, id: unknown): unknown {
  // pg returns json columns parsed on some drivers and as text on others.
  const value: unknown = typeof raw === "string" ? JSON.parse(raw) : raw;
  const parsed = JSON_COLUMN_SCHEMAS[field].safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `request ${String(id)}: stored ${field} does not fit its schema: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
const NUMBER_FIELDS = new Set([
  "installationId",
  "repoId",
  "sourceCommentId",
  "checkRunId",
  "grantDurationMs",
]);

export function toRow(fields: object): Row {
  const row: Row = {};
  for (const [field, value] of Object.entries(fields)) {
    const column = COLUMN_OF[field];
    if (column === undefined || value === undefined) continue;
    row[column] = isJsonField(field) && value !== null ? JSON.stringify(value) : value;
  }
  return row;
}

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

export function fromRow(row: Row): RequestRecord {
  const record: Record<string, unknown> = {
    id: Number(row.id),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
  for (const [field, column] of Object.entries(COLUMN_OF)) {
    const value = row[column];
    if (value === null || value === undefined) record[field] = null;
    else if (isJsonField(field)) record[field] = readJson(field, value, row.id);
    // bigint columns come back as strings from pg; ids here stay far below 2^53.
    else if (NUMBER_FIELDS.has(field)) record[field] = Number(value);
    else if (field.endsWith("At") || field === "notBefore") record[field] = toDate(value);
    else record[field] = value;
  }
  return record as unknown as RequestRecord;
}
