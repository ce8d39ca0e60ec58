/**
 * The real deploy path for the benchmark: the test sandbox (real git origin, stand-in Gitea, docker
 * stand-in, reference hook over the local transport) with workers running the real activities.
 */
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { connectClient, startDeploy } from '../../client/deploys.js';
import type { Config } from '../../shared/config.js';
import { createSandbox, PROJECT_ID, type Sandbox, type SandboxWorkItem } from '../../test/support/sandbox.js';
import { DeployPhaseKey } from '../../shared/search-attributes.js';
import type { Phase } from '../../workflows/messages.js';
import { createDeployWorker } from '../../worker/run.js';

/** Seconds the slow hook sleeps before it runs the reference hook. */
export const SLOW_HOOK_SECONDS = 60;
const PHASE_POLL_MS = 20;
const PHASE_TIMEOUT_MS = 120_000;

/** Worker variant of a deploy: the sandbox config, a slow hook, or the project as non-self. */
export type Variant = 'self' | 'slow-hook' | 'sync';

/** A sandbox with one worker per variant, each on its own task queue. */
export interface RealPath {
  sandbox: Sandbox;
  client: Client;
  configs: Record<Variant, Config>;
  /** Starts the deploy of a work item on the worker of `variant`. */
  start(workItemId: string, variant: Variant, approvalTimeoutHours?: number): Promise<string>;
  /** Waits until a deploy reaches `phase`, polling its phase search attribute. */
  waitForPhase(workflowId: string, phase: Phase): Promise<void>;
  close(): Promise<void>;
}

/** Builds the sandbox for `workItems` and starts the three workers on the dev server at `address`. */
export async function openRealPath(options: { dir: string; address: string; workItems: SandboxWorkItem[] }): Promise<RealPath> {
  const sandbox = await createSandbox({
    dir: options.dir,
    workItems: options.workItems,
    temporalAddress: options.address,
    taskQueue: 'bench-real-self',
  });
  const slowHook = await writeSlowHook(sandbox);
  const configs: Record<Variant, Config> = {
    self: sandbox.config,
    'slow-hook': variantOf(sandbox.config, 'bench-real-slow', (project) => {
      project.deploy.hook = [slowHook];
    }),
    sync: variantOf(sandbox.config, 'bench-real-sync', (project) => {
      project.selfHosting = false;
    }),
  };
  const workers = await Promise.all(Object.values(configs).map((config) => createDeployWorker(config)));
  const running = workers.map((worker) => worker.run());
  const client = await connectClient(sandbox.config);

  return {
    sandbox,
    client,
    configs,
    async start(workItemId, variant, approvalTimeoutHours) {
      const started = await startDeploy(client, configs[variant], {
        projectId: PROJECT_ID,
        workItemId,
        featureBranch: sandbox.branchOf(workItemId),
        imageReference: sandbox.imageOf(workItemId),
        requestedBy: 'carol',
        options: { approvalTimeoutHours },
      });
      return started.workflowId;
    },
    waitForPhase: (workflowId, phase) => waitForPhase(client, workflowId, phase),
    async close() {
      await stopWorkers(workers, running);
      await client.connection.close();
      await sandbox.close();
    },
  };
}

/**
 * Polls the phase search attribute through describe, not the status query: a query that arrives while a
 * workflow task runs local activities can add a workflow task to the history, which would skew its size.
 */
async function waitForPhase(client: Client, workflowId: string, phase: Phase): Promise<void> {
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  const handle = client.workflow.getHandle(workflowId);
  for (;;) {
    const description = await handle.describe();
    const current = description.typedSearchAttributes.get(DeployPhaseKey);
    if (current === phase) return;
    if (description.status.name !== 'RUNNING' || Date.now() > deadline) {
      throw new Error(`deploy ${workflowId} is ${description.status.name} in phase ${current ?? 'unset'}: expected ${phase}`);
    }
    await new Promise((resolve) => setTimeout(resolve, PHASE_POLL_MS));
  }
}

function variantOf(base: Config, taskQueue: string, change: (project: Config['projects'][string]) => void): Config {
  const config = structuredClone(base);
  config.temporal.taskQueue = taskQueue;
  const project = config.projects[PROJECT_ID];
  if (!project) throw new Error(`the sandbox config has no project ${PROJECT_ID}`);
  change(project);
  return config;
}

/** Writes a hook that sleeps, then runs the sandbox hook, so its history can be compared with a short hook's. */
async function writeSlowHook(sandbox: Sandbox): Promise<string> {
  const hook = sandbox.config.projects[PROJECT_ID]?.deploy.hook[0];
  if (hook === undefined) throw new Error(`the sandbox config has no hook for ${PROJECT_ID}`);
  const file = path.join(sandbox.dir, 'slow-hook.sh');
  await writeFile(file, `#!/usr/bin/env bash\nsleep ${SLOW_HOOK_SECONDS}\nexec '${hook.replaceAll("'", "'\\''")}'\n`);
  await chmod(file, 0o755);
  return file;
}

async function stopWorkers(workers: Worker[], running: Promise<void>[]): Promise<void> {
  for (const worker of workers) worker.shutdown();
  await Promise.all(running);
}
