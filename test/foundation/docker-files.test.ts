import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/** A daemon that answers, not only the client on PATH (CI machines often have the one without the other). */
const dockerWorks = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const froms = steps.filter((s) => s.op === 'FROM');
  const runtimeStart = steps.lastIndexOf(froms.at(-1)!);
  const runtime = steps.slice(runtimeStart);

  it('builds in one stage and runs from another, both on Node 24', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f.args).toMatch(/^node:24[-.\w]*(\s+AS\s+\w+)?$/i);
    const build = steps.slice(0, runtimeStart);
    expect(build.some((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args))).toBe(true);
    expect(runtime.some((s) => s.op === 'COPY' && /--from=/.test(s.args))).toBe(true);
    // No compiler or npm install in the image that runs.
    expect(runtime.some((s) => s.op === 'RUN' && /\b(npm (ci|install)|g\+\+|apt-get install)\b/.test(s.args))).toBe(false);
  });

  it('runs as a user that is not root, with /data as the data volume, the port exposed and a health check on /healthz', () => {
    const users = runtime.filter((s) => s.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.find((s) => s.op === 'VOLUME')?.args).toMatch(/\/data\b/);
    expect(runtime.some((s) => s.op === 'ENV' && /DATA_DIR=\/data\b/.test(s.args))).toBe(true);
    expect(runtime.find((s) => s.op === 'EXPOSE')?.args).toMatch(/^\d+/);
    expect(runtime.find((s) => s.op === 'HEALTHCHECK')?.args).toMatch(/\/healthz/);
    const cmd = runtime.find((s) => s.op === 'CMD')!;
    expect(JSON.parse(cmd.args)).toEqual(expect.arrayContaining(['dist/main.js']));
  });

  it('.dockerignore keeps local data, secrets and node_modules out of the build context', () => {
    const ignored = read('.dockerignore').split(/\r?\n/).map((l) => l.trim());
    for (const entry of ['node_modules', '.env', 'data', '.git', '*.sqlite']) expect(ignored).toContain(entry);
  });

  it('.dockerignore keeps what the build stage runs: the bundle script and the sources it bundles', () => {
    const rules = read('.dockerignore').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    // Docker's rule: the last matching line wins; a leading ! re-includes.
    const ignored = (path: string) =>
      rules.reduce((out, rule) => {
        const negated = rule.startsWith('!');
        const pattern = new RegExp(`^${(negated ? rule.slice(1) : rule).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
        return pattern.test(path) ? !negated : out;
      }, false);
    for (const needed of ['.ci/build.ts', 'package.json', 'package-lock.json', 'src/main.ts', 'db/migrations/meta/_journal.json', 'config/production.json', 'sandbox/main.ts']) {
      expect(ignored(needed), needed).toBe(false);
    }
    expect(ignored('.ci/run')).toBe(true);
  });

  it.skipIf(!dockerWorks)('builds, and the image runs Node 24 with SQLite as a user that is not root', () => {
    const tag = `order-sync-worker:test-${process.pid}`;
    const build = spawnSync('docker', ['build', '-t', tag, '.'], { cwd: new URL('../..', import.meta.url), encoding: 'utf8', timeout: 900_000 });
    expect(build.status, build.stderr).toBe(0);
    try {
      const probe = spawnSync(
        'docker',
        ['run', '--rm', '--entrypoint', 'node', tag, '-e', "import('better-sqlite3').then((m) => { new m.default(':memory:'); console.log(process.versions.node, process.getuid()); })"],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect(probe.status, probe.stderr).toBe(0);
      const [version, uid] = probe.stdout.trim().split(' ');
      expect(version).toMatch(/^24\./);
      expect(uid).not.toBe('0');
    } finally {
      spawnSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
    }
  }, 1_000_000);
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml')) as {
    services: Record<string, { build?: unknown; image?: string; command?: string[] | string; environment?: Record<string, string>; depends_on?: string[] | Record<string, unknown>; volumes?: string[]; healthcheck?: unknown }>;
    volumes?: Record<string, unknown>;
  };
  const worker = compose.services.worker!;
  const redis = compose.services.redis!;

  it('has the worker, built from the Dockerfile, and a Redis it depends on', () => {
    expect(worker.build).toBeDefined();
    expect(redis.image).toMatch(/^redis:/);
    const deps = Array.isArray(worker.depends_on) ? worker.depends_on : Object.keys(worker.depends_on ?? {});
    expect(deps).toContain('redis');
    expect(worker.environment?.REDIS_URL).toMatch(/^redis:\/\/redis(:\d+)?(\/|$)/);
    expect(redis.healthcheck).toBeDefined();
  });

  it('keeps the data in named volumes: the worker at /data (its DATA_DIR), Redis with its append-only file on', () => {
    const mount = worker.volumes?.map((v) => v.split(':')).find(([, target]) => target === '/data');
    expect(mount).toBeDefined();
    expect(compose.volumes).toHaveProperty(mount![0]!);
    expect(worker.environment?.DATA_DIR ?? '/data').toBe('/data');
    const command = Array.isArray(redis.command) ? redis.command.join(' ') : String(redis.command);
    expect(command).toMatch(/--appendonly yes/);
    const redisMount = redis.volumes?.map((v) => v.split(':')).find(([, target]) => target === '/data');
    expect(compose.volumes).toHaveProperty(redisMount![0]!);
  });

  it('asks for admin credentials, since the ops server listens beyond loopback in the container', () => {
    expect(worker.environment?.HTTP_HOST).toBe('0.0.0.0');
    expect(worker.environment?.ADMIN_PASSWORD).toMatch(/^\$\{ADMIN_PASSWORD:\?/);
  });
});
