/**
 * Reading SQL Server's estimated plan (`SET SHOWPLAN_XML ON`) into the plan shapes of
 * plan-types.ts (issue 16). Pure: the attributes of the showplan schema
 * (http://schemas.microsoft.com/sqlserver/2004/07/showplan) that a reviewer needs, read from
 * the XML text: per statement (`StmtSimple`) its type and `StatementEstRows`, the first
 * `RelOp`'s physical operator (and the one under it), and the full scans with their table.
 * Anything that does not read as a plan is a statement without one, never a guess.
 */
import type { RawSeqScan } from "./plan-types.js";

export interface ShowplanStatement {
  text: string;
  kind: string;
  estimatedRows: number;
  topNode: string;
  inputNode?: string;
  scans: RawSeqScan[];
}

const STATEMENT = /<StmtSimple\b([^>]*)>([\s\S]*?)<\/StmtSimple>/g;
const REL_OP = /<RelOp\b([^>]*)>/g;
/** Operators that read a whole table or index: the showplan's sequential scans. */
const FULL_SCANS = new Set(["Table Scan", "Clustered Index Scan", "Index Scan"]);

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes);
  return match === null ? undefined : unescapeXml(match[1] as string);
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&amp;/g, "&");
}

const unbracket = (name: string | undefined) => (name ?? "").replace(/^\[|\]$/g, "");

/** The statements of one showplan document, in order; empty when it holds none. */
export function readShowplan(xml: string): ShowplanStatement[] {
  const statements: ShowplanStatement[] = [];
  for (const [, attributes = "", body = ""] of xml.matchAll(STATEMENT)) {
    const rows = Number(attribute(attributes, "StatementEstRows"));
    const operators = [...body.matchAll(REL_OP)].map(([, relOp = ""], index, all) => {
      // The object a scan reads is named in the next element after its RelOp.
      const start = (all[index]?.index ?? 0) + (all[index]?.[0].length ?? 0);
      const object = /<Object\b([^>]*)\/?>/.exec(body.slice(start, start + 2_000))?.[1] ?? "";
      return { relOp, object };
    });
    const top = operators[0];
    if (!Number.isFinite(rows) || rows < 0 || top === undefined) continue;
    const input = operators[1];
    const scans = operators
      .filter(({ relOp }) => FULL_SCANS.has(attribute(relOp, "PhysicalOp") ?? ""))
      .map(({ relOp, object }) => ({
        schema: unbracket(attribute(object, "Schema")),
        name: unbracket(attribute(object, "Table")),
        planRows: Number(
          attribute(relOp, "TableCardinality") ?? attribute(relOp, "EstimateRows") ?? 0,
        ),
      }))
      .filter((scan) => scan.name !== "");
    const inputNode = input === undefined ? undefined : attribute(input.relOp, "PhysicalOp");
    statements.push({
      text: attribute(attributes, "StatementText") ?? "",
      kind: attribute(attributes, "StatementType") ?? "",
      estimatedRows: Math.round(rows),
      topNode: attribute(top.relOp, "PhysicalOp") ?? "",
      ...(inputNode === undefined ? {} : { inputNode }),
      scans,
    });
  }
  return statements;
}
