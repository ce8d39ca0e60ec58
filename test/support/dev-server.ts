import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  devServerArgv,
  freePort,
  logTail,
  spawnDevServer,
  waitForServer,
} from '../../client/dev-server-process.js';
import { ensureTemporalBinary } from '../../scripts/temporal-binary.js';

/** Start-up time allowed for a slow 2-core machine. The SDK's own test environment waits only 5 s. */
const START_TIMEOUT_MS = 60_000;

export interface StartDevServerOptions {
  /** SQLite file. Unset keeps the server in memory. */
  dbFile?: string;
  /** gRPC port, a free port when unset. */
  port?: number;
  /** Web UI port; a free port when unset. Ignored with `headless`. */
  uiPort?: number;
  headless?: boolean;
  startTimeoutMs?: number;
}

/** A running dev server owned by the caller. */
export interface DevServer {
  /** gRPC address such as `127.0.0.1:41234`. */
  address: string;
  /** Web UI base URL, or undefined when headless. */
  uiUrl: string | undefined;
  /** File that receives the server's stdout and stderr. */
  logFile: string;
  /** Stops the server: SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with our search attributes and waits (up to
 * 60 s by default) until it serves the default namespace.
 */
export async function startDevServer(options: StartDevServerOptions = {}): Promise<DevServer> {
  const { dbFile, headless = false, startTimeoutMs = START_TIMEOUT_MS } = options;
  const binary = ensureTemporalBinary();
  const port = options.port ?? (await freePort());
  const uiPort = headless ? undefined : (options.uiPort ?? (await freePort()));
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'deployer-temporal-'));
  const logFile = path.join(logDir, 'server.log');

  const argv = devServerArgv({ port, uiPort, dbFile, headless });
  const server = await spawnDevServer({ binary, argv, logFile });
  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    server.subprocess.kill('SIGTERM');
    await server.subprocess;
    rmSync(logDir, { recursive: true, force: true });
  };

  try {
    await waitForServer({ address, timeoutMs: startTimeoutMs, exitReason: server.exitReason });
  } catch (error) {
    const tail = logTail(logFile).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\nlast server output:\n${tail}`, { cause: error });
  }
  const uiUrl = uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`;
  return { address, uiUrl, logFile, stop };
}
