import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A second process writing to a SQLite database every 20 ms, as the running worker's polls do, with
 * the busy timeout given; `stop()` reports how many of its write transactions went through and how
 * many failed on the lock ("database is locked").
 */
const SCRIPT = `
import { createRequire } from 'node:module';
const Database = createRequire(process.argv[1] + '/')('better-sqlite3');
const db = new Database(process.argv[2]);
db.pragma('busy_timeout = ' + Number(process.argv[3]));
let ok = 0, locked = 0;
const write = db.prepare("insert into events (type, message) values ('probe', 'a write of another process')");
process.on('SIGTERM', () => { process.stdout.write(JSON.stringify({ ok, locked })); process.exit(0); });
const tick = () => { try { db.transaction(() => write.run())(); ok++; } catch (e) { if (/locked|busy/i.test(e.message)) locked++; else throw e; } setTimeout(tick, 20); };
tick();
`;

export function startSqliteWriter(dbPath: string, busyTimeoutMs: number): { stop(): Promise<{ ok: number; locked: number }> } {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, process.cwd(), dbPath, String(busyTimeoutMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return {
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
      return JSON.parse(out || '{"ok":0,"locked":-1}') as { ok: number; locked: number };
    },
  };
}
