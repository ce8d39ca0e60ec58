import type { Client } from '@temporalio/client';
import { statusQuery, type DeployStatusView } from '../workflows/messages.js';

/** Calls `onChange` each time a deploy's phase changes until it finishes; returns the last status. */
export async function watchDeploy(options: {
  client: Client;
  workflowId: string;
  intervalMs?: number;
  timeoutMs?: number;
  onChange: (view: DeployStatusView, elapsedMs: number) => void | Promise<void>;
}): Promise<DeployStatusView> {
  const { client, workflowId, intervalMs = 300, timeoutMs = 30 * 60_000 } = options;
  const handle = client.workflow.getHandle(workflowId);
  const started = Date.now();
  let lastKey = '';
  for (;;) {
    const view = await handle.query(statusQuery);
    const key = `${view.phase}|${view.stagingStatus}|${view.deployStatus}|${view.approval.ignored.length}`;
    if (key !== lastKey) {
      lastKey = key;
      await options.onChange(view, Date.now() - started);
    }
    if (view.phase === 'finished') return view;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`watch of ${workflowId} timed out after ${timeoutMs / 1000} s in phase ${view.phase}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
