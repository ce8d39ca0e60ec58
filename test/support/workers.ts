/** Deploy workers for tests and scripts: in-process workers, worker processes, and sandboxes with a connected client. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { execa, type Options } from 'execa';
import { connectClient } from '../../client/deploys.js';
import type { Config } from '../../shared/config.js';
import { createDeployWorker } from '../../worker/run.js';
import { createSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';
import { temporalAddress } from './temporal.js';

const WORKER_MAIN = fileURLToPath(new URL('../../worker/main.ts', import.meta.url));

/** A deploy worker running in this process until `close()`. */
export interface InProcessWorker {
  worker: Worker;
  /** The error that ended `worker.run()`, or undefined while it runs and after a clean shutdown. */
  readonly error: unknown;
  /** Shuts the worker down unless it already stopped, then waits for it. `error` contains the error it ended with. */
  close(): Promise<void>;
}

/** Creates a deploy worker for `config` and starts running it in this process. */
export async function startInProcessWorker(config: Config, overrides: Partial<WorkerOptions> = {}): Promise<InProcessWorker> {
  const worker = await createDeployWorker(config, overrides);
  let error: unknown;
  const running = worker.run().catch((reason: unknown) => {
    error = reason;
  });
  return {
    worker,
    get error() {
      return error;
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** Starts `worker/main.ts --config configPath` as its own process, the way operators run it. Its exit does not reject. */
export function startWorkerProcess<const OptionsType extends Options & { reject: false }>(
  configPath: string,
  options: OptionsType,
) {
  return execa(process.execPath, ['--import', 'tsx', WORKER_MAIN, '--config', configPath], options);
}

/** A sandbox in a temp folder of its own and a connected client. */
export interface ClientSandbox {
  sandbox: Sandbox;
  client: Client;
  /** Closes the client and the sandbox and deletes the temp folder. */
  close(): Promise<void>;
}

/** Options of a sandbox in a new temp folder named `tmpPrefix...`, on the dev server of this test file unless given. */
export type TempSandboxOptions = Omit<SandboxOptions, 'dir' | 'temporalAddress'> & { tmpPrefix: string; temporalAddress?: string };

/** Creates a sandbox in a new temp folder and connects a client to its Temporal server. */
export async function startClientSandbox({ tmpPrefix, ...sandboxOptions }: TempSandboxOptions): Promise<ClientSandbox> {
  const dir = await mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  const sandbox = await createSandbox({
    dir,
    ...sandboxOptions,
    temporalAddress: sandboxOptions.temporalAddress ?? (await temporalAddress()),
  });
  const client = await connectClient(sandbox.config);
  return {
    sandbox,
    client,
    async close() {
      await client.connection.close();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A sandbox in a temp folder of its own, an in-process worker for it and a connected client. */
export interface WorkerSandbox extends ClientSandbox {
  worker: InProcessWorker;
  /** Stops the worker, closes the client and the sandbox, deletes the temp folder, then throws the error the worker ended with. */
  close(): Promise<void>;
}

/** Creates a sandbox in a new temp folder, lets `prepare` change it, then starts an in-process worker and connects a client. */
export async function startWorkerSandbox({
  prepare,
  workerOptions,
  ...sandboxOptions
}: TempSandboxOptions & {
  prepare?: (sandbox: Sandbox) => Promise<void>;
  workerOptions?: Partial<WorkerOptions>;
}): Promise<WorkerSandbox> {
  const base = await startClientSandbox(sandboxOptions);
  await prepare?.(base.sandbox);
  const worker = await startInProcessWorker(base.sandbox.config, workerOptions);
  return {
    ...base,
    worker,
    async close() {
      await worker.close();
      await base.close();
      if (worker.error !== undefined) throw worker.error;
    },
  };
}
