/** One workflow bundle per test process, so several in-process workers skip bundling again. */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Returns the deploy workflow bundle, building it on the first call. */
export function sharedWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

/** Worker options that use the shared bundle in place of bundling the workflows from source. */
export async function sharedBundleOptions() {
  return { workflowBundle: await sharedWorkflowBundle(), workflowsPath: undefined };
}
