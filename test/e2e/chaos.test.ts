import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/env.ts';

/** The short version of `npm run chaos` that every CI run makes: a few kill -9 of the real worker. */
describe('chaos (short)', () => {
  it('kill -9 three times, Redis once: nothing lost, nothing duplicated', () => {
    const dir = tempDir('osw-chaos-test-');
    const out = join(dir.path, 'chaos.json');
    const run = spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'bench/chaos.ts', '--kills', '3', '--seconds', '90', '--no-holds', '--out', out], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      timeout: 400_000,
    });
    const result = JSON.parse(readFileSync(out, 'utf8'));
    dir.remove();
    expect(result).toMatchObject({
      kills: 3,
      settled: true,
      lastExitCode: 0,
      orders: { duplicated: 0, lost: 0 },
      productionJobs: { duplicated: 0, lost: 0 },
      uploads: { duplicated: 0, lost: 0 },
    });
    expect(run.status).toBe(0);
  }, 420_000);
});
