// Prints the IIFE's size minified and minified + gzip -9 against the budget; exits 1 over it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_BYTES = 2500;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const file = resolve(process.argv[2] ?? resolve(root, 'dist/clickstream.iife.js'));
const minified = readFileSync(file);
const gzipped = gzipSync(minified, { level: 9 }).length;
console.log(
  `${file}: ${minified.length} B minified, ${gzipped} B min+gzip -9 ` +
    `(budget ${BUDGET_BYTES} B, ${((100 * gzipped) / BUDGET_BYTES).toFixed(0)}% used)`,
);
process.exitCode = gzipped <= BUDGET_BYTES ? 0 : 1;
