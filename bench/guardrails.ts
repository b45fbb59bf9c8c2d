/**
 * Guardrail throughput on ~1 MB scripts, one per dialect (warm-up run first, then timed).
 *
 * Run: `npm run bench -- guardrails` (scripts/bench.js compiles and runs it).
 */
import { classifyCommand, loadGuardrails, type Dialect } from "../src/guardrails/index.js";

const TARGET_BYTES = 1_000_000;

function postgresScript(): string {
  const templates = [
    (i: number) => `SELECT id, name, email FROM users WHERE id = ${i};`,
    (i: number) =>
      `UPDATE orders SET status = 'shipped', updated_at = now() WHERE id = ${i} AND status = 'paid';`,
    (i: number) => `INSERT INTO audit_log (actor, action, at) VALUES ('bot', 'tick ${i}', now());`,
    (i: number) =>
      `WITH recent AS (SELECT * FROM events WHERE created_at > now() - interval '1 day')\n  SELECT count(*) FROM recent WHERE kind = 'k${i % 7}';`,
    (i: number) =>
      `/* batch ${i} */ DELETE FROM sessions WHERE expires_at < now() - interval '${i % 30} days';`,
    (i: number) =>
      `-- note ${i}\nSELECT u.id, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > ${i};`,
  ];
  return build(templates);
}

function tsqlScript(): string {
  const templates = [
    (i: number) => `SELECT Id, Name, Email FROM dbo.Users WHERE Id = ${i};`,
    (i: number) =>
      `UPDATE [Sales].[Orders] SET Status = N'shipped' WHERE Id = ${i} AND Status = N'paid'`,
    (i: number) => `INSERT INTO dbo.AuditLog (Actor, Action) VALUES ('bot', 'tick ${i}');`,
    (i: number) =>
      `IF EXISTS (SELECT 1 FROM dbo.Events WHERE Id = ${i}) BEGIN\n  DELETE FROM dbo.Events WHERE Id = ${i}\nEND`,
    (i: number) => `/* batch ${i} /* nested */ */ EXEC dbo.usp_Touch @Id = ${i}`,
    (i: number) => (i % 50 === 0 ? `GO` : `DECLARE @v${i} int = ${i}; SELECT @v${i} AS [value];`),
  ];
  return build(templates);
}

function build(templates: ((i: number) => string)[]): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < TARGET_BYTES; i += 1) {
    const line = (templates[i % templates.length] as (i: number) => string)(i);
    parts.push(line);
    size += line.length + 1;
  }
  return parts.join("\n");
}

async function run(dialect: Dialect, script: string): Promise<void> {
  await classifyCommand(script, dialect); // warm-up: WASM, JIT
  const started = process.hrtime.bigint();
  const result = await classifyCommand(script, dialect);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!result.ok) throw new Error(`${dialect}: ${result.error.message}`);
  const count = result.statements.length;
  const rate = Math.round(count / (ms / 1000));
  const mb = (script.length / 1_000_000).toFixed(2);
  console.log(
    `${dialect.padEnd(8)} ${mb} MB  ${count} statements  ${ms.toFixed(0)} ms  ${rate} statements/s`,
  );
}

await loadGuardrails();
await run("postgres", postgresScript());
await run("mssql", tsqlScript());
const peakMb = process.resourceUsage().maxRSS / 1024;
console.log(`peak RSS ${peakMb.toFixed(0)} MB`);
