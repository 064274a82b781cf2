import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStalePidFiles, runningWorkerPid, workerPidFile } from '../../src/data-keys.ts';
import { tempDir } from '../support/env.ts';

describe('worker pid files (one per worker; two may share a data directory)', () => {
  it('names a live worker, ignores and removes the files of dead ones, never counts itself', () => {
    const dir = tempDir();
    const dead = 2 ** 22 + 12_345; // above Linux's default pid_max: never a live process
    const live = process.ppid;
    for (const pid of [dead, live, process.pid]) writeFileSync(workerPidFile(dir.path, pid), `${pid}\n`);
    expect(runningWorkerPid(dir.path)).toBe(live);
    removeStalePidFiles(dir.path);
    expect(existsSync(join(dir.path, `worker-${dead}.pid`))).toBe(false);
    expect(existsSync(workerPidFile(dir.path, live))).toBe(true);
    expect(existsSync(workerPidFile(dir.path))).toBe(true);
    dir.remove();
  });
});
