import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { statusQuery, type DeployStatusView } from '../workflows/messages.js';

/**
 * Calls `onChange` each time a deploy's phase, verdicts, launch record or ignored decisions change,
 * until it finishes, and returns the last status. A failed query (for example while no worker runs
 * during a self-deploy restart) goes to `onQueryError` and polling goes on. Without `onQueryError`
 * the error is thrown. An unknown workflow id, or a failed query of a workflow that is no longer
 * running, always throws.
 */
export async function watchDeploy(options: {
  client: Client;
  workflowId: string;
  intervalMs?: number;
  timeoutMs?: number;
  onChange: (view: DeployStatusView, elapsedMs: number) => void | Promise<void>;
  onQueryError?: (error: unknown) => void;
}): Promise<DeployStatusView> {
  const { client, workflowId, intervalMs = 300, timeoutMs = 30 * 60_000 } = options;
  const handle = client.workflow.getHandle(workflowId);
  const started = Date.now();
  let lastKey = '';
  let lastPhase = 'unknown';
  for (;;) {
    const view = await queryOrReport(() => handle.query(statusQuery), options.onQueryError, () =>
      throwIfClosed(client, workflowId),
    );
    if (view !== undefined) {
      lastPhase = view.phase;
      const key = changeKey(view);
      if (key !== lastKey) {
        lastKey = key;
        await options.onChange(view, Date.now() - started);
      }
      if (view.phase === 'finished') return view;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`watch of ${workflowId} timed out after ${timeoutMs / 1000} s in phase ${lastPhase}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Throws when the workflow is no longer running. A query of a closed workflow needs a worker too, so
 * without this check a watch of a finished deploy with no worker running would poll forever.
 */
async function throwIfClosed(client: Client, workflowId: string): Promise<void> {
  const description = await client.workflow.getHandle(workflowId).describe();
  if (description.status.name === 'RUNNING') return;
  throw new Error(
    `workflow ${workflowId} is ${description.status.name} but no worker responded to its status query; ` +
      `start a worker on task queue "${description.taskQueue}" to read its verdicts`,
  );
}

function changeKey(view: DeployStatusView): string {
  return [view.phase, view.stagingStatus, view.deployStatus, view.launch?.deployId, view.approval.ignored.length].join('|');
}

async function queryOrReport(
  query: () => Promise<DeployStatusView>,
  onQueryError: ((error: unknown) => void) | undefined,
  throwIfClosed: () => Promise<void>,
): Promise<DeployStatusView | undefined> {
  try {
    return await query();
  } catch (error) {
    if (onQueryError === undefined || error instanceof WorkflowNotFoundError) throw error;
    await throwIfClosed();
    onQueryError(error);
    return undefined;
  }
}
