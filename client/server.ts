/**
 * `npm run server`: runs the Temporal dev server in the foreground on 127.0.0.1:7233 with the Web UI
 * on 8233, state in .data/temporal.sqlite and our search attributes registered. Also exports
 * `ensureServerRunning` for the demo, which starts a detached server when none responds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTemporalBinary } from '../scripts/temporal-binary.js';
import {
  devServerArgv,
  registerSearchAttributes,
  spawnDevServer,
  tryConnect,
  waitForServer,
} from './dev-server-process.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Git-ignored folder for the dev server's SQLite file, log and pid file. */
export const DATA_DIR = path.join(REPO_ROOT, '.data');
export const DEFAULT_DB_FILE = path.join(DATA_DIR, 'temporal.sqlite');
const DEFAULT_ADDRESS = '127.0.0.1:7233';
const UI_PORT_OFFSET = 1000;
const START_TIMEOUT_MS = 60_000;

export interface RunningServer {
  address: string;
  /** Web UI URL when this function started the server, else undefined (the UI port is unknown). */
  uiUrl: string | undefined;
  /** True when this call started a detached server, false when one already responded. */
  started: boolean;
}

/**
 * Connects to the Temporal server at `address` and registers our search attributes on it, or, when
 * nothing responds, starts a detached dev server there with `dbFile` (log in .data/temporal-server.log,
 * pid in .data/temporal-server.pid) and waits up to 60 s for it.
 */
export async function ensureServerRunning(options: {
  address?: string;
  dbFile?: string;
  namespace?: string;
}): Promise<RunningServer> {
  const { address = DEFAULT_ADDRESS, dbFile = DEFAULT_DB_FILE, namespace = 'default' } = options;
  const connection = await tryConnect(address);
  if (connection) {
    try {
      await registerSearchAttributes({ connection, namespace });
    } finally {
      await connection.close();
    }
    return { address, uiUrl: undefined, started: false };
  }

  const port = localPort(address);
  const uiPort = port + UI_PORT_OFFSET;
  const logFile = path.join(DATA_DIR, 'temporal-server.log');
  mkdirSync(path.dirname(dbFile), { recursive: true });
  mkdirSync(DATA_DIR, { recursive: true });
  const server = await spawnDevServer({
    binary: ensureTemporalBinary(),
    argv: devServerArgv({ port, uiPort, dbFile }),
    logFile,
    detached: true,
  });
  writeFileSync(path.join(DATA_DIR, 'temporal-server.pid'), `${server.subprocess.pid}\n`);
  try {
    await waitForServer({ address, namespace, timeoutMs: START_TIMEOUT_MS, exitReason: server.exitReason });
  } catch (error) {
    throw new Error(`${(error as Error).message}; see ${logFile}`, { cause: error });
  }
  return { address, uiUrl: `http://127.0.0.1:${uiPort}`, started: true };
}

/** Returns the port of a 127.0.0.1 or localhost address, because other hosts cannot be started from here. */
function localPort(address: string): number {
  const match = /^(127\.0\.0\.1|localhost):(\d{1,5})$/.exec(address);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535 - UI_PORT_OFFSET) {
    throw new Error(
      `no Temporal server responds at ${address}, and only a local address such as 127.0.0.1:7233 can be started here`,
    );
  }
  return port;
}

/** Runs the dev server in the foreground until SIGINT or SIGTERM. */
async function main(): Promise<void> {
  const existing = await tryConnect(DEFAULT_ADDRESS);
  if (existing) {
    await registerSearchAttributes({ connection: existing, namespace: 'default' });
    await existing.close();
    console.log(`A Temporal server already runs at ${DEFAULT_ADDRESS}, so none was started (search attributes registered).`);
    return;
  }

  mkdirSync(DATA_DIR, { recursive: true });
  const port = localPort(DEFAULT_ADDRESS);
  const uiPort = port + UI_PORT_OFFSET;
  const server = await spawnDevServer({
    binary: ensureTemporalBinary(),
    argv: devServerArgv({ port, uiPort, dbFile: DEFAULT_DB_FILE }),
  });
  const stop = () => server.subprocess.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    await waitForServer({ address: DEFAULT_ADDRESS, timeoutMs: START_TIMEOUT_MS, exitReason: server.exitReason });
  } catch (error) {
    stop();
    throw error;
  }
  console.log(`Temporal dev server ready at ${DEFAULT_ADDRESS}, state in ${DEFAULT_DB_FILE}`);
  console.log(`Web UI: http://127.0.0.1:${uiPort}  (Ctrl-C stops the server)`);
  const result = await server.subprocess;
  process.exitCode = result.exitCode ?? (result.isTerminated ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`temporal dev server: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
