/**
 * GitOps intake (DESIGN §1.1 item 3, issue 17): whether a person's pull request is a request,
 * judged from the files it changes (pure). A request pull request adds exactly one file,
 * `requests/<resource>/…/<name>.sql`, and changes nothing else: merging it is the audit
 * record, so anything beside the command would slip into the audit branch unreviewed as SQL.
 * A pull request that touches nothing under `requests/` is none of Countersign's business.
 */
import { MAX_COMMAND_BYTES } from "./parse.js";

/** One entry of GitHub's "list pull request files", as far as the decision needs it. */
export interface PullFileChange {
  path: string;
  /** GitHub's status: added, modified, removed, renamed, copied, changed, unchanged. */
  status: string;
  /** The old path of a rename or copy. */
  previousPath?: string;
}

export type GitopsFiles =
  /** Nothing under `requests/`: an ordinary pull request, left alone without a word. */
  | { kind: "unrelated" }
  | { kind: "request"; resource: string; path: string }
  /** It touches `requests/` but is not a request: the author is told why. */
  | { kind: "refused"; problem: string };

export const REQUESTS_DIR = "requests/";

/** `requests/<resource>/…/<name>.sql`; a resource name as `/run` takes it. */
const REQUEST_PATH = /^requests\/([A-Za-z0-9][A-Za-z0-9_-]{0,99})\/(?:[^/]+\/)*[^/]+\.sql$/;

const SHAPE = "a request pull request adds exactly one file, `requests/<resource>/<name>.sql`";

function underRequests(change: PullFileChange): boolean {
  return (
    change.path.startsWith(REQUESTS_DIR) || (change.previousPath ?? "").startsWith(REQUESTS_DIR)
  );
}

function listed(paths: string[]): string {
  const shown = paths.slice(0, 10).map((path) => `\`${path}\``);
  return shown.join(", ") + (paths.length > 10 ? `, and ${paths.length - 10} more` : "");
}

const VERB_OF_STATUS: Readonly<Record<string, string>> = {
  modified: "changes",
  changed: "changes",
  removed: "removes",
  renamed: "renames",
  copied: "copies",
};

export function classifyGitopsFiles(changes: readonly PullFileChange[]): GitopsFiles {
  if (!changes.some(underRequests)) return { kind: "unrelated" };
  if (changes.length !== 1) {
    return {
      kind: "refused",
      problem: `it changes ${changes.length} files (${listed(changes.map((c) => c.path))}); ${SHAPE} and changes nothing else`,
    };
  }
  const [change] = changes as [PullFileChange];
  if (change.status !== "added") {
    const verb = VERB_OF_STATUS[change.status] ?? `${change.status}`;
    return {
      kind: "refused",
      problem: `it ${verb} \`${change.previousPath ?? change.path}\`, an existing file: the files under \`requests/\` are the audit record of requests made before and are never changed; ${SHAPE}`,
    };
  }
  const match = REQUEST_PATH.exec(change.path);
  if (match === null) {
    return {
      kind: "refused",
      problem: `\`${change.path}\` is not a request file; ${SHAPE} (the folder after \`requests/\` names the resource, the file ends in \`.sql\`)`,
    };
  }
  return { kind: "request", resource: match[1] as string, path: change.path };
}

/**
 * Why a request pull request's changes, read again after a push or before the command runs,
 * are no longer just its request file, added (null when they are). "Added" matters as much
 * as the path: a file that exists on the base (another request's record, merged since) shows
 * as modified, and merging it would overwrite that record. Both kinds of request PR, the ones
 * Countersign opens and GitOps ones, add their file.
 */
export function requestFileProblem(
  changes: readonly PullFileChange[],
  filePath: string | null,
): string | null {
  const others = changes
    .flatMap((change) => [change.path, change.previousPath ?? change.path])
    .filter((path, index, all) => path !== filePath && all.indexOf(path) === index);
  if (others.length > 0) {
    return `the pull request changes files other than the request file (${listed(others)}); what merges must be exactly the command that ran`;
  }
  const own = changes.find((change) => change.path === filePath);
  if (filePath === null || own === undefined) {
    return "the pull request no longer adds the request file";
  }
  if (own.status !== "added") {
    return `the pull request no longer adds \`${filePath}\` but ${VERB_OF_STATUS[own.status] ?? own.status} a file of that name on the base branch; merging it would overwrite that file, so a request file is always new`;
  }
  return null;
}

/**
 * The justification of a GitOps request: a `Reason: …` line of the pull request's
 * description when there is one, else its title. Bounded like a `/run`'s reason.
 */
export function gitopsReason(title: string, body: string | null): string | null {
  const line = /^\s*reason:\s*(\S.*)$/im.exec(body ?? "");
  const reason = (line?.[1] ?? title).trim();
  return reason === "" ? null : reason.slice(0, 500);
}

/** Why a request file's command cannot be taken (empty, over `/run`'s limit), or null. */
export function gitopsCommandProblem(command: string): string | null {
  if (command.trim() === "") return "the request file holds no command";
  const bytes = new TextEncoder().encode(command).length;
  if (bytes <= MAX_COMMAND_BYTES) return null;
  return `the request file is ${bytes.toLocaleString("en-US")} bytes; the limit is ${MAX_COMMAND_BYTES.toLocaleString("en-US")} bytes (64 KiB), as for \`/run\``;
}
