import { parseArgs } from 'node:util';
import { startSandbox } from './server.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '4010' },
    seed: { type: 'string', default: '42' },
    'rate-scale': { type: 'string', default: '1' },
    'generate-every': { type: 'string', default: '30000' },
    'initial-orders': { type: 'string', default: '5' },
    'initial-age': { type: 'string', default: '0' },
  },
});

const sandbox = await startSandbox({
  host: values.host,
  port: Number(values.port),
  seed: Number(values.seed),
  rateScale: Number(values['rate-scale']),
  generateEveryMs: Number(values['generate-every']),
  initialOrders: Number(values['initial-orders']),
  initialAgeMs: Number(values['initial-age']) * 1000,
});
console.log(`marketplace sandbox listening on ${sandbox.url} (set SANDBOX_URL=${sandbox.url} for the worker)`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void sandbox.close().then(() => process.exit(0)));
