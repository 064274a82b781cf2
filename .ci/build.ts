// The production bundle (`npm run build`, run by `npm start`): one tree-shaken ESM file per entry point
// in dist/, so the running worker loads a few files instead of hundreds of modules and needs no type
// stripping. Development and tests run the TypeScript sources directly.
import { cpSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * Left to node_modules: native addons, and packages that read their own files at run time (BullMQ's Lua
 * scripts, pino's transport workers, amazon-sp-api's endpoint modules).
 */
const external = ['better-sqlite3', 'bullmq', 'pino', 'pino-pretty', 'thread-stream', 'amazon-sp-api', 'msgpackr-extract', 'redis-server'];

rmSync('dist', { recursive: true, force: true });
await build({
  // The order sealer's thread is started from its own file (db/order-sealer.ts).
  entryPoints: { main: 'src/main.ts', cli: 'src/cli.ts', sandbox: 'sandbox/main.ts', 'order-seal-thread': 'db/order-seal-thread.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node22.12',
  format: 'esm',
  splitting: true,
  treeShaking: true,
  sourcemap: 'linked',
  external,
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

// Files the code finds beside itself (`import.meta.url`): in the bundle, beside the chunks in dist/.
cpSync('db/migrations', 'dist/migrations', { recursive: true });
cpSync('config/production.json', 'dist/production.json');
