/**
 * Building blocks for running `temporal server start-dev`: the argv, free ports, a readiness wait
 * and search attribute registration. Used by `npm run server`, the demo and the test runner.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { execa, type ResultPromise } from 'execa';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes.js';

const CONNECT_TIMEOUT_MS = 2_000;
const RPC_TIMEOUT_MS = 3_000;
const POLL_INTERVAL_MS = 250;
const GRPC_ALREADY_EXISTS = 6;

/**
 * Dynamic config for the dev server. Older Temporal servers turn Workflow Update and
 * ExecuteMultiOperation (update-with-start) off by default, and a `temporal` binary found on PATH
 * may be old, so the values are set explicitly.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = [
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  'frontend.enableExecuteMultiOperation=true',
];

export interface DevServerArgvOptions {
  port: number;
  /** Web UI port, unset with `headless`. */
  uiPort?: number;
  /** SQLite file that keeps state across restarts. Unset keeps everything in memory. */
  dbFile?: string;
  headless?: boolean;
}

/** Builds the `temporal server start-dev` argv (without the binary) bound to 127.0.0.1. */
export function devServerArgv({ port, uiPort, dbFile, headless = false }: DevServerArgvOptions): string[] {
  const argv = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (headless) {
    argv.push('--headless');
  } else {
    if (uiPort === undefined) throw new Error('uiPort is missing: pass a Web UI port or set headless');
    argv.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
  }
  if (dbFile !== undefined) argv.push('--db-filename', dbFile);
  for (const attribute of SEARCH_ATTRIBUTES) argv.push('--search-attribute', `${attribute.name}=${attribute.cliType}`);
  for (const value of DEV_SERVER_DYNAMIC_CONFIG) argv.push('--dynamic-config-value', value);
  return argv;
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago, found by binding port 0. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connects to a Temporal frontend, or returns null when it does not respond within a few seconds. */
export async function tryConnect(address: string): Promise<Connection | null> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS });
    await connection.withDeadline(Date.now() + RPC_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
    return connection;
  } catch {
    return null;
  }
}

/** Returns the names of our custom search attributes that the namespace does not have yet. */
export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const response = await connection.withDeadline(Date.now() + RPC_TIMEOUT_MS, () =>
    connection.operatorService.listSearchAttributes({ namespace }),
  );
  const registered = new Set(Object.keys(response.customAttributes ?? {}));
  return SEARCH_ATTRIBUTES.map((attribute) => attribute.name).filter((name) => !registered.has(name));
}

/**
 * Registers our custom search attributes on a running server that was started without them, and
 * waits up to `timeoutMs` until the namespace lists them. Attributes that already exist are kept.
 */
export async function registerSearchAttributes(options: {
  connection: Connection;
  namespace: string;
  timeoutMs?: number;
}): Promise<void> {
  const { connection, namespace, timeoutMs = 30_000 } = options;
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length === 0) return;

  const searchAttributes = Object.fromEntries(
    SEARCH_ATTRIBUTES.filter((attribute) => missing.includes(attribute.name)).map((attribute) => [
      attribute.name,
      encodeSearchAttributeIndexedValueType(attribute.type)!,
    ]),
  );
  try {
    await connection.withDeadline(Date.now() + RPC_TIMEOUT_MS, () =>
      connection.operatorService.addSearchAttributes({ namespace, searchAttributes }),
    );
  } catch (error) {
    if (!(isGrpcServiceError(error) && error.code === GRPC_ALREADY_EXISTS)) throw error;
  }

  const deadline = Date.now() + timeoutMs;
  while ((await missingSearchAttributes(connection, namespace)).length > 0) {
    if (Date.now() > deadline) {
      throw new Error(`search attributes ${missing.join(', ')} were added to namespace ${namespace} but are not listed`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * Polls until the server at `address` serves `namespace` with our search attributes registered.
 * `exitReason` is checked on every round so a server that crashed fails the wait at once.
 */
export async function waitForServer(options: {
  address: string;
  namespace?: string;
  timeoutMs: number;
  exitReason?: () => string | undefined;
}): Promise<void> {
  const { address, namespace = 'default', timeoutMs, exitReason } = options;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    const exited = exitReason?.();
    if (exited) throw new Error(`temporal dev server at ${address} exited before it was ready: ${exited}`);
    lastProblem = await probeReadiness(address, namespace);
    if (lastProblem === '') return;
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`temporal dev server at ${address} was not ready after ${timeoutMs / 1000} s: ${lastProblem}`);
}

/** Returns an empty string when the server is ready, else what is still missing. */
async function probeReadiness(address: string, namespace: string): Promise<string> {
  const connection = await tryConnect(address);
  if (!connection) return 'the frontend does not respond';
  try {
    await connection.withDeadline(Date.now() + RPC_TIMEOUT_MS, () =>
      connection.workflowService.describeNamespace({ namespace }),
    );
    const missing = await missingSearchAttributes(connection, namespace);
    return missing.length === 0 ? '' : `search attributes not registered yet: ${missing.join(', ')}`;
  } catch (error) {
    return `namespace ${namespace} is not ready (${(error as Error).message})`;
  } finally {
    await connection.close();
  }
}

/** A started dev server process whose output goes to a log file. */
export interface DevServerProcess {
  subprocess: ResultPromise;
  /** Set once the process has exited: the exit code or signal. */
  exitReason(): string | undefined;
}

/**
 * Spawns `temporal server start-dev`, appending its output to `logFile` when given. A detached server
 * runs in its own session and outlives this process. An attached one is killed when this process
 * exits.
 */
export async function spawnDevServer(options: {
  binary: string;
  argv: string[];
  /** File that receives stdout and stderr. Unset inherits this process's output. */
  logFile?: string;
  detached?: boolean;
}): Promise<DevServerProcess> {
  const { binary, argv, logFile, detached = false } = options;
  // execa hands a file descriptor number to spawn() unchanged, but its types list only 3 to 9. A
  // descriptor, unlike `{ file }`, lets a detached server keep writing after this process exits.
  const logFd = logFile === undefined ? undefined : (openSync(logFile, 'a') as 3);
  const subprocess = execa(binary, argv, {
    stdin: 'ignore',
    stdout: logFd ?? 'inherit',
    stderr: logFd ?? 'inherit',
    detached,
    cleanup: !detached,
    reject: false,
    forceKillAfterDelay: 5_000,
  });
  let exitReason: string | undefined;
  subprocess.once('exit', (code, signal) => {
    exitReason = signal ? `killed by ${signal}` : `exit code ${code}`;
  });
  await new Promise<void>((resolve) => {
    subprocess.once('spawn', resolve);
    subprocess.once('error', (error) => {
      exitReason = `failed to start: ${error.message}`;
      resolve();
    });
  });
  if (logFd !== undefined) closeSync(logFd);
  if (detached) subprocess.unref();
  return { subprocess, exitReason: () => exitReason };
}

/** Returns the last lines of a log file, or an empty list when it cannot be read. */
export function logTail(file: string, lines = 20): string[] {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}
