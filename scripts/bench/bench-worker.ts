/** The benchmark worker: the production worker options with instant activities and the bench workflows. */
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, type Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../../shared/config.js';
import { createDeployWorker } from '../../worker/run.js';
import { createInstantActivities } from './instant-activities.js';

const BENCH_WORKFLOWS = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/** Bundles the deploy workflow and the bare workflow once, so every benchmark worker loads the same code. */
export async function bundleBenchWorkflows(): Promise<string> {
  const bundle = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS, logger: quietLogger() });
  return bundle.code;
}

/** Creates a deploy worker that runs `code` with instant activities; `client` sends automatic approvals. */
export async function createBenchWorker(options: {
  config: Config;
  code: string;
  client: Client | null;
  overrides?: Partial<WorkerOptions>;
}): Promise<Worker> {
  return createDeployWorker(options.config, {
    activities: createInstantActivities(options.config, options.client),
    workflowsPath: undefined,
    workflowBundle: { code: options.code },
    ...options.overrides,
  });
}

/** Builds a bundler logger that drops webpack's progress chatter but keeps warnings and errors. */
export function quietLogger() {
  const drop = () => undefined;
  const warn = (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? '');
  return { log: drop, trace: drop, debug: drop, info: drop, warn, error: warn };
}
