/** Entry point of `npm run webhook`: serves the Plane webhook endpoint until SIGINT or SIGTERM. */
import { parseArgs } from 'node:util';
import { connectClient } from '../client/deploys.js';
import { defaultConfigPath, loadConfig } from '../shared/config.js';
import { startWebhookServer } from './server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const configPath = values.config ?? defaultConfigPath();
  const config = loadConfig(configPath);
  const client = await connectClient(config);
  const log = (level: string, message: string, fields: Record<string, unknown>) =>
    console.log(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  const server = await startWebhookServer({ config, client, log });
  log('info', 'webhook server started', { url: server.url, pid: process.pid, config: configPath });

  const stop = () => {
    void server.close().then(async () => {
      await client.connection.close();
      log('info', 'webhook server stopped', { pid: process.pid });
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`deployer webhook: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
