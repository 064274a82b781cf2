// Loaded with `--import` into a spawned process: names every module whose URL contains
// LOG_MODULES_MATCHING on stderr as it loads (ESM imports and CommonJS requires alike).
import { registerHooks } from 'node:module';

const match = process.env.LOG_MODULES_MATCHING;
if (match) {
  registerHooks({
    load(url, context, nextLoad) {
      if (url.includes(match)) process.stderr.write(`module loaded: ${url}\n`);
      return nextLoad(url, context);
    },
  });
}
