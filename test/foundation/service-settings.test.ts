import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VARIANTS } from '../../bench/footprint.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

/** The Node flags before the script, and MALLOC_ARENA_MAX, of one way of starting the worker. */
interface Start {
  nodeFlags: string[];
  arenaMax: string | undefined;
}

function fromNpmStart(): Start {
  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
  const command = start.split('&&').at(-1)!.trim().split(/\s+/);
  const env = command.filter((w) => /^[A-Z_]+=/.test(w));
  const node = command.indexOf('node');
  return { nodeFlags: command.slice(node + 1, command.indexOf('dist/main.js')), arenaMax: env.find((e) => e.startsWith('MALLOC_ARENA_MAX='))?.split('=')[1] };
}

function fromSystemdUnit(): Start {
  const unit = read('config/order-sync-worker.service');
  const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.trim().split(/\s+/);
  return { nodeFlags: exec.slice(1, exec.indexOf('dist/main.js')), arenaMax: /^Environment=MALLOC_ARENA_MAX=(\S+)$/m.exec(unit)?.[1] };
}

function fromDockerfile(): Start {
  const text = read('Dockerfile').replace(/\\\r?\n/g, ' ');
  const cmd = JSON.parse(/^CMD\s+(\[.*\])\s*$/m.exec(text)![1]!) as string[];
  return { nodeFlags: cmd.slice(1, cmd.indexOf('dist/main.js')), arenaMax: /^ENV\s.*\bMALLOC_ARENA_MAX=(\S+)/m.exec(text)?.[1] };
}

describe('the memory settings the service runs with (README, Footprint)', () => {
  const measured = VARIANTS['bundle + settings'];
  const benchmarked: Start = { nodeFlags: measured.args.slice(0, measured.args.indexOf('dist/main.js')), arenaMax: measured.env.MALLOC_ARENA_MAX };

  it('are what the footprint benchmark measures, in npm start, the systemd unit and the image alike', () => {
    expect(benchmarked.nodeFlags.length).toBeGreaterThan(0);
    expect(benchmarked.arenaMax).toBeDefined();
    for (const [where, start] of [['npm start', fromNpmStart()], ['systemd unit', fromSystemdUnit()], ['Dockerfile', fromDockerfile()]] as const) {
      expect(start, where).toEqual(benchmarked);
    }
  });
});
