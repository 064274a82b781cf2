import { ConfigError, loadConfig, type Config } from '../../../config/env.ts';
import type { DoctorCheck } from './check.ts';

/** The configuration loaded and validated as the worker does: one FAIL per broken setting, naming it. */
export function checkConfig(env: NodeJS.ProcessEnv): { config?: Config; checks: DoctorCheck[] } {
  try {
    const config = loadConfig(env);
    const accounts = Object.entries(config.platforms).map(([p, c]) => `${p} ${'shopId' in c ? c.shopId : c.sellerId}`);
    const detail = config.sandboxMode
      ? `valid; no marketplace credentials, so the worker runs against the sandbox${config.sandboxUrl ? ` at ${config.sandboxUrl}` : ' (built in)'}`
      : `valid; accounts: ${accounts.join(', ')}`;
    return { config, checks: [{ area: 'config', name: 'settings', status: config.sandboxMode ? 'info' : 'pass', detail, fix: config.sandboxMode ? 'set one platform\'s credentials (README, "Configuration") to go live' : undefined }] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      checks: err.problems.map((p) => ({
        area: 'config',
        name: p.variable,
        status: 'fail',
        detail: `${p.variable} ${p.problem}`,
        fix: `set ${p.variable}${p.example ? ` (for example ${p.variable}=${p.example})` : ''} in .env or the environment; see .env.example`,
      })),
    };
  }
}
