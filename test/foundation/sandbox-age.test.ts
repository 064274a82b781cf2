import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';

describe('sandbox --initial-age', () => {
  it('places the initial orders that long ago (a backlog, not orders placed this second)', async () => {
    const sandbox = await startSandbox({ initialOrders: 3, initialAgeMs: 86_400_000, seed: 4 });
    try {
      for (const o of sandbox.context.store.orders.etsy.values()) {
        const age = Date.now() - Date.parse(o.updatedAt);
        expect(age).toBeGreaterThan(86_400_000 - 60_000); // the sandbox ticks its clock forward a little per order
        expect(age).toBeLessThan(86_400_000 + 10 * 60_000);
        expect(Date.parse(o.createdAt)).toBeLessThanOrEqual(Date.parse(o.updatedAt));
      }
    } finally {
      await sandbox.close();
    }
  });
});
