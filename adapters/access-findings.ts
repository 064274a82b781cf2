import { RateLimitedError, ShutdownError, TransientError, errorMessage } from '../src/errors.ts';
import type { AccessCheck } from './types.ts';

export const passed = (name: string, detail: string): AccessCheck => ({ name, status: 'pass', detail });

export const failed = (name: string, err: unknown, fix: string): AccessCheck => ({ name, status: 'fail', detail: errorMessage(err), fix });

/**
 * The finding for a call that failed for another reason than the one checked: the network, a 5xx,
 * a rate limit or the doctor's deadline. It says nothing about the credentials, and says so.
 */
export function notAnswered(name: string, platform: string, err: unknown): AccessCheck | undefined {
  if (err instanceof ShutdownError) {
    return { name, status: 'fail', detail: `${platform} did not answer in time`, fix: `check the network and ${platform}'s API status, then run the doctor again` };
  }
  if (err instanceof TransientError || err instanceof RateLimitedError) {
    return failed(name, err, `check the network and ${platform}'s API status, then run the doctor again (the credentials were not judged)`);
  }
  return undefined;
}
