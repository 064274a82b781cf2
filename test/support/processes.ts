import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * The worker as an operator starts it (`node src/main.ts`), with exactly `env` (no .env file, no
 * inherited settings): tests of signals, kills and several processes use it.
 */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main.ts'], {
    env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

/** The most events any window of `windowMs` saw: a token bucket's bound is burst + rate * window. */
export function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** `ordersync` as an operator runs it, with exactly `env` (no .env file); waits for it to exit. */
export function runOrdersync(env: Record<string, string>, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/cli.ts', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ENV_FILE: '/nonexistent', LOG_LEVEL: 'warn', ...env },
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}
