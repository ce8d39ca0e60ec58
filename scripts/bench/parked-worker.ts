/**
 * Child process of the parked benchmark: one deploy worker with instant activities, so the parent
 * can read this process's resident memory. Prints one JSON line when ready; stops on SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchConfig } from './bench-config.js';
import { createBenchWorker } from './bench-worker.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      address: { type: 'string' },
      'task-queue': { type: 'string' },
      bundle: { type: 'string' },
      'state-dir': { type: 'string' },
    },
  });
  const { address, bundle } = values;
  const taskQueue = values['task-queue'];
  const stateDir = values['state-dir'];
  if (!address || !taskQueue || !bundle || !stateDir) {
    throw new Error('--address, --task-queue, --bundle and --state-dir are required');
  }
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = benchConfig({ address, taskQueue, stateDir });
  const worker = await createBenchWorker({ config, code: await readFile(bundle, 'utf8'), client: null });
  console.log(JSON.stringify({ message: 'worker ready', pid: process.pid }));
  await worker.run();
}

main().catch((error: unknown) => {
  console.error(`parked worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
