// Builds the three outputs: an IIFE for `<script defer>` (global `clickstream`), an ESM
// module for bundlers, and type declarations. `node scripts/build.mjs [outdir]`.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(process.argv[2] ?? resolve(root, 'dist'));
const common = {
  bundle: true,
  minify: true,
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: [resolve(root, 'src/global.ts')],
  format: 'iife',
  outfile: resolve(outdir, 'clickstream.iife.js'),
});
await build({
  ...common,
  entryPoints: [resolve(root, 'src/index.ts')],
  format: 'esm',
  outfile: resolve(outdir, 'clickstream.esm.js'),
});
execFileSync(
  resolve(root, 'node_modules/.bin/tsc'),
  ['-p', resolve(root, 'tsconfig.json'), '--emitDeclarationOnly', '--declaration', '--outDir', outdir],
  { stdio: 'inherit' },
);
// global.ts only assigns window.clickstream; its declarations are index.d.ts's.
rmSync(resolve(outdir, 'global.d.ts'));
console.log(`built ${outdir}: clickstream.iife.js, clickstream.esm.js, index.d.ts`);
