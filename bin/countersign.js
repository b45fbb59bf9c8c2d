#!/usr/bin/env node
// The `countersign` command (package.json "bin"): runs the compiled CLI from dist/.
// `npm run build` (or `npm start`, which builds first) makes it.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const cli = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "dist",
  "server",
  "validate-cli.js",
);
if (!existsSync(cli)) {
  console.error("countersign: run `npm run build` first (dist/ is missing)");
  process.exit(2);
}
process.env.COUNTERSIGN_CLI = "1";
await import(pathToFileURL(cli).href);
