/** Entry point of `npm run worker`: runs one deploy worker until SIGINT or SIGTERM. */
import { parseArgs } from 'node:util';
import { Runtime } from '@temporalio/worker';
import { defaultConfigPath, loadConfig } from '../shared/config.js';
import { createJsonLogger } from './logging.js';
import { createDeployWorker } from './run.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const configPath = values.config ?? defaultConfigPath();
  const config = loadConfig(configPath);
  const { metricsAddress } = config.temporal;
  // The runtime must be installed before the first connection is made, or the default one is used.
  Runtime.install({
    logger: createJsonLogger(),
    ...(metricsAddress === undefined
      ? {}
      : { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } }),
  });
  const worker = await createDeployWorker(config);
  console.log(
    JSON.stringify({
      message: 'worker started',
      pid: process.pid,
      taskQueue: config.temporal.taskQueue,
      namespace: config.temporal.namespace,
      address: config.temporal.address,
      config: configPath,
      metrics: metricsAddress === undefined ? null : `http://${metricsAddress}/metrics`,
    }),
  );
  await worker.run();
  console.log(JSON.stringify({ message: 'worker stopped', pid: process.pid }));
}

main().catch((error: unknown) => {
  console.error(`deployer worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
