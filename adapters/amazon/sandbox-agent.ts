import https from 'node:https';
import net from 'node:net';

/**
 * An https.Agent that connects every request (SP-API, the LWA token endpoint, the Amazon Custom
 * download host) to the sandbox over plain TCP. amazon-sp-api has no base-URL option but passes
 * this agent to every https.request it makes, so the library speaks plain HTTP to the sandbox and
 * production and sandbox share every line of adapter code.
 */
export class SandboxAgent extends https.Agent {
  private readonly target: { host: string; port: number };

  constructor(sandboxUrl: string) {
    super({ keepAlive: true });
    const url = new URL(sandboxUrl);
    this.target = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  }

  override createConnection(): net.Socket {
    return net.connect(this.target);
  }
}
