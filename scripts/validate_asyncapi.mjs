// Validates an AsyncAPI document (a file, or stdin) with the official parser; prints every
// diagnostic of severity error or warning as JSON lines and exits 1 when there is an error.
// Usage: NODE_PATH=<dir>/node_modules node scripts/validate_asyncapi.mjs document.json
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.ASYNCAPI_PARSER_DIR + "/");
const { Parser } = require("@asyncapi/parser");

const text = readFileSync(process.argv[2] ?? 0, "utf8");
const { document, diagnostics } = await new Parser().parse(text);
let errors = 0;
for (const d of diagnostics) {
  if (d.severity > 1) continue; // 0 error, 1 warning, 2 information, 3 hint
  if (d.severity === 0) errors += 1;
  console.log(JSON.stringify({ severity: d.severity === 0 ? "error" : "warning", code: d.code, message: d.message, path: d.path.join(".") }));
}
console.log(JSON.stringify({ parsed: document !== undefined, errors }));
process.exit(errors > 0 || document === undefined ? 1 : 0);
