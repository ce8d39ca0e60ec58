/** `deployer watch`: follows one deploy live, one line per step, until it finishes. */
import { connectClient, deployWorkflowId, workflowLink } from '../deploys.js';
import { formatAge } from '../format.js';
import { watchDeploy } from '../watch.js';
import type { DeployStatusView } from '../../workflows/messages.js';
import { configOf, numberOption, workItemOf } from './args.js';
import { GLOBAL_HELP, type Command } from './command.js';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'follow one deploy live, step by step with the elapsed time, until it finishes',
  help: `Usage: deployer watch --project ID --work-item ID [options]

Polls the workflow's "status" query and prints a line each time the step changes: the time since
the deploy started, the phase and what happens in it. Query failures (for example while the worker
restarts during a self-deploy) are reported once each and polling goes on. When the query of a
workflow that has already closed fails, watch exits 1 and names the task queue that needs a worker.

  --project ID              project id from the config
  --work-item ID            work item id, e.g. ORCH-65
  --interval-seconds S      seconds between polls (default: 1)
  --timeout-minutes M       give up after M minutes (default: no limit)

With --json: one JSON object per line: {"elapsedSeconds","phase","step","stagingStatus","deployStatus","reason"}.
Exit code: 0 when the deploy ends SUCCESS, 1 when the staging check or the deploy ends FAILED or on an
error (including the timeout), 2 on usage errors.

${GLOBAL_HELP}`,
  async run(values) {
    const config = configOf(values);
    const { projectId, workItemId } = workItemOf(values);
    const workflowId = deployWorkflowId(projectId, workItemId);
    const intervalMs = numberOption(values, 'interval-seconds', 1) * 1000;
    const timeoutMs = numberOption(values, 'timeout-minutes', Infinity) * 60_000;
    const client = await connectClient(config);
    try {
      if (!values.json) console.log(`watching ${workflowId}: ${workflowLink(config, workflowId)}`);
      let lastError = '';
      const final = await watchDeploy({
        client,
        workflowId,
        intervalMs,
        timeoutMs,
        onChange: (view) => printStep(view, values.json),
        onQueryError: (error) => {
          const message = error instanceof Error ? error.message : String(error);
          if (message !== lastError) console.error(`status query failed, retrying: ${message}`);
          lastError = message;
        },
      });
      return final.deployStatus === 'SUCCESS' ? 0 : 1;
    } finally {
      await client.connection.close();
    }
  },
};

function printStep(view: DeployStatusView, json: boolean): void {
  const elapsedMs = Date.now() - Date.parse(view.timestamps.started);
  const step = describeStep(view);
  if (json) {
    const { phase, stagingStatus, deployStatus, reason } = view;
    console.log(JSON.stringify({ elapsedSeconds: Math.round(elapsedMs / 100) / 10, phase, step, stagingStatus, deployStatus, reason }));
    return;
  }
  console.log(`+${formatAge(elapsedMs).padEnd(12)} ${view.phase.padEnd(18)} ${step}`);
}

/** Describes in one sentence what the deploy does in its current phase. */
export function describeStep(view: DeployStatusView): string {
  const ignored = view.approval.ignored.at(-1);
  switch (view.phase) {
    case 'starting':
      return 'validating the input and loading the project settings';
    case 'staging':
      return 'running the staging check';
    case 'merging':
      return `staging ${view.stagingStatus ?? '-'}; merging the pull request`;
    case 'awaiting-approval':
      return ignored === undefined
        ? `waiting for approval until ${view.approval.deadline ?? '-'}`
        : `waiting for approval; ignored ${ignored.decision} from ${ignored.approver}: ${ignored.reason}`;
    case 'deploying':
      return 'running the deploy hook and waiting for its exit code';
    case 'launching':
      return `approved by ${view.approval.approver ?? '-'}; launching the deploy hook detached`;
    case 'awaiting-hook':
      return view.launch === null
        ? 'waiting for the hook exit code'
        : `hook launched as pid ${view.launch.pid} on ${view.launch.host}; waiting for its exit code`;
    case 'finalizing':
      return `hook exit code ${view.hookExitCode ?? '-'}; writing and merging the deploy verdict`;
    case 'finished': {
      const reason = view.reason === null ? '' : ` (${view.reason})`;
      return `finished: staging ${view.stagingStatus ?? '-'}, deploy ${view.deployStatus ?? 'not run'}${reason}`;
    }
  }
}
