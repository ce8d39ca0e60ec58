/** The Temporal server a test file uses: the one `npm test` started, or one of its own. */
import { Runtime } from '@temporalio/worker';
import { createJsonLogger } from '../../worker/logging.js';
import { startDevServer, type DevServer } from './dev-server.js';

let ownServer: DevServer | undefined;
let loggingInstalled = false;

/** Returns the address of a running dev server, starting one when `npm test` did not. */
export async function temporalAddress(): Promise<string> {
  if (!loggingInstalled) {
    Runtime.install({ logger: createJsonLogger() });
    loggingInstalled = true;
  }
  if (process.env.TEMPORAL_ADDRESS) return process.env.TEMPORAL_ADDRESS;
  ownServer ??= await startDevServer({ headless: true });
  return ownServer.address;
}

/** Stops the dev server that this file started, if any. */
export async function stopOwnServer(): Promise<void> {
  await ownServer?.stop();
  ownServer = undefined;
}
