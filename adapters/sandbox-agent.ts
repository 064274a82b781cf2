import https from 'node:https';
import net from 'node:net';

/**
 * An https.Agent that connects every request to the sandbox over plain TCP, whatever the host.
 * amazon-sp-api (no base-URL option; `https_proxy_agent`) and ebay-api (its identity endpoint is
 * fixed; `axiosConfig.httpsAgent`) both pass it to every request they make, so the libraries
 * speak plain HTTP to the sandbox and production and sandbox share every line of adapter code.
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
