import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Config } from '../shared/config.js';
import { connectionOptions } from '../client/connection.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const PREBUILT_BUNDLE = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));
/** Folders whose files end up in the workflow bundle. */
const BUNDLED_SOURCE_DIRS = ['../workflows/', '../shared/'].map((dir) => fileURLToPath(new URL(dir, import.meta.url)));
/**
 * Workflows kept in memory between tasks. A cached deploy costs about 0.3 MiB of resident memory,
 * and the SDK's default, sized from the heap limit, is over 2,000 on a 24 GiB machine. An evicted
 * deploy replays its history (at most about 60 events) on its next task, which takes milliseconds.
 */
const MAX_CACHED_WORKFLOWS = 100;

/** Creates a worker for the deploy workflow and its activities on the configured task queue. */
export async function createDeployWorker(config: Config, overrides: Partial<WorkerOptions> = {}): Promise<Worker> {
  const connection = await NativeConnection.connect(connectionOptions(config));
  const workflowSource = usablePrebuiltBundle()
    ? { workflowBundle: { codePath: PREBUILT_BUNDLE } }
    : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ config }),
    maxCachedWorkflows: MAX_CACHED_WORKFLOWS,
    ...workflowSource,
    ...overrides,
  });
}

/**
 * Returns true when `npm run bundle` output exists and is newer than every workflow source file, so
 * an edit made after the last bundle is never run from a stale bundle.
 */
function usablePrebuiltBundle(): boolean {
  if (process.env.DEPLOYER_BUNDLE_FROM_SOURCE) return false;
  let bundleTime: number;
  try {
    bundleTime = statSync(PREBUILT_BUNDLE).mtimeMs;
  } catch {
    return false;
  }
  return BUNDLED_SOURCE_DIRS.every((dir) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' }).every(
      (file) => statSync(path.join(dir, file)).mtimeMs <= bundleTime,
    ),
  );
}

