/**
 * Facts of procedural, maintenance and session statements: transaction bounds and pinned
 * settings are refused when they run now, COPY to a program or a file is flagged.
 */
import { pgDangerousSetting } from "./danger.js";
import { str, type JsonObject } from "./pg-ast.js";
import type { Facts, FactsOf } from "./pg-facts.js";
import {
  discardRefusal,
  nestedPinnedSetting,
  settingRefusal,
  settingsChanged,
  transactionRefusal,
} from "./pg-settings.js";
import { flag, refuse, type StatementDraft } from "./statement-draft.js";

const TRANSACTION_COMMANDS: Record<string, string> = {
  TRANS_STMT_BEGIN: "BEGIN",
  TRANS_STMT_START: "START TRANSACTION",
  TRANS_STMT_COMMIT: "COMMIT",
  TRANS_STMT_ROLLBACK: "ROLLBACK",
  TRANS_STMT_SAVEPOINT: "SAVEPOINT",
  TRANS_STMT_RELEASE: "RELEASE SAVEPOINT",
  TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT",
  TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
  TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
  TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
};

function copyFacts(body: JsonObject, draft: StatementDraft): Facts {
  const direction = body.is_from === true ? "FROM" : "TO";
  if (body.is_program === true) {
    flag(draft, "copy_program", `COPY … ${direction} PROGRAM runs a shell command on the server`);
  } else if (str(body.filename) !== undefined) {
    flag(draft, "admin_functions", `COPY … ${direction} a file accesses the server's file system`);
  }
  return { kind: "admin", command: "COPY" };
}

/**
 * SET / RESET. At the top level (or in a DO block) it runs now: a pinned setting is
 * refused. Nested (a function's SET clause) it applies later: flagged for the reviewers.
 */
function setFacts(body: JsonObject, draft: StatementDraft, top: boolean): Facts {
  const command = str(body.kind)?.startsWith("VAR_RESET") === true ? "RESET" : "SET";
  const changed = settingsChanged(body);
  const refusal = settingRefusal(body);
  if (top && refusal !== undefined) refuse(draft, refusal);
  // A function's own `SET search_path` (best practice for SECURITY DEFINER) binds only
  // the names inside that function; every other pinned setting would leak into the
  // statement that calls it (a timeout switched off, strings read differently).
  const pinned = nestedPinnedSetting(body);
  const relevant = top || pinned !== "search_path" ? pinned : undefined;
  const protectedName = relevant ?? changed.find(pgDangerousSetting);
  if (protectedName !== undefined) {
    const what = protectedName === "*" ? "every setting" : protectedName;
    flag(draft, "admin_functions", `${command} changes ${what}, a protected setting`);
  }
  return { kind: "admin", command, sessionOnly: true };
}

export const ADMIN_FACTS: Record<string, FactsOf> = {
  TransactionStmt: (body, draft, top) => {
    const command = TRANSACTION_COMMANDS[str(body.kind) ?? ""] ?? "TRANSACTION";
    if (top) refuse(draft, transactionRefusal(command));
    return { kind: "transaction", command };
  },
  DoStmt: (_body, draft) => {
    flag(draft, "procedural", "DO runs a procedural block");
    return { kind: "admin", command: "DO" };
  },
  CallStmt: (_body, draft) => {
    // The procedure's name is judged by the walk, like any other call.
    flag(draft, "procedural", "CALL runs a procedure");
    return { kind: "admin", command: "CALL" };
  },
  ExecuteStmt: (_body, draft) => {
    flag(draft, "procedural", "EXECUTE runs a prepared statement");
    return { kind: "admin", command: "EXECUTE" };
  },
  CopyStmt: (body, draft) => copyFacts(body, draft),
  VacuumStmt: (body) => ({
    kind: "admin",
    command: body.is_vacuumcmd === true ? "VACUUM" : "ANALYZE",
  }),
  LoadStmt: (_body, draft) => {
    flag(draft, "admin_functions", "LOAD loads a shared library into the server");
    return { kind: "admin", command: "LOAD" };
  },
  AlterSystemStmt: (_body, draft) => {
    flag(draft, "admin_functions", "ALTER SYSTEM changes the server configuration");
    return { kind: "admin", command: "ALTER SYSTEM" };
  },
  VariableSetStmt: (body, draft, top) => setFacts(body, draft, top),
  DiscardStmt: (body, draft, top) => {
    const refusal = discardRefusal(body);
    if (top && refusal !== undefined) refuse(draft, refusal);
    return { kind: "admin", command: "DISCARD", sessionOnly: true };
  },
};
