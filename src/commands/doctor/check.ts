import type { AccessCheck, CheckStatus } from '../../../adapters/types.ts';

/** One line of `ordersync doctor`: the area checked (config, redis, sqlite, an account) and the finding. */
export interface DoctorCheck extends AccessCheck {
  area: string;
}

export const inArea = (area: string, checks: AccessCheck[]): DoctorCheck[] => checks.map((c) => ({ area, ...c }));

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', info: 'INFO', warn: 'WARN', fail: 'FAIL' };

/** The report as people read it: one line per check, the fix indented under a finding that needs one. */
export function formatReport(checks: DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => `${c.area}: ${c.name}`.length));
  const lines = checks.flatMap((c) => {
    const line = `${LABEL[c.status]}  ${`${c.area}: ${c.name}`.padEnd(width)}  ${c.detail}`;
    return c.fix && c.status !== 'pass' ? [line, `      fix: ${c.fix}`] : [line];
  });
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  lines.push('', `${count('fail')} failed, ${count('warn')} warning(s), ${count('pass')} passed${count('fail') ? '' : ': ready to go live'}`);
  return `${lines.join('\n')}\n`;
}

/** Non-zero on any FAIL: a deploy script can stop on it. */
export const exitCodeOf = (checks: DoctorCheck[]): number => (checks.some((c) => c.status === 'fail') ? 1 : 0);
