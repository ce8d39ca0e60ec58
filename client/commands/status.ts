/** `deployer status`: one deploy's phase, verdicts, pending approval and launch record. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { connectClient, deployWorkflowId, queryStatus, workflowLink } from '../deploys.js';
import { formatStatus } from '../format.js';
import { configOf, workItemOf } from './args.js';
import { GLOBAL_HELP, type Command } from './command.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the phase, verdicts, pending approval (age, deadline) and launch record of a deploy',
  help: `Usage: deployer status --project ID --work-item ID [--json]

Reads the workflow's "status" query, so a worker must be running (also for finished deploys).

  --project ID     project id from the config
  --work-item ID   work item id, e.g. ORCH-65

Output: workflow id, work item, image, phase, staging and deploy verdicts (with the failure reason),
the pending approval with its age and deadline (or who decided), decisions that did not count,
the hook's launch record and exit code, and the Web UI link.
With --json: the status query's object plus "link" and "approvalAgeSeconds" (null unless pending).
Exit code: 0 when the status was read, 1 on an error (unknown work item, no worker), 2 on usage errors.

${GLOBAL_HELP}`,
  async run(values) {
    const config = configOf(values);
    const { projectId, workItemId } = workItemOf(values);
    const workflowId = deployWorkflowId(projectId, workItemId);
    const client = await connectClient(config);
    try {
      const view = await queryStatus(client, workflowId).catch((error: unknown) => {
        if (error instanceof WorkflowNotFoundError || !(error instanceof Error)) throw error;
        // A query needs a worker even for a finished workflow; without one the server times out after about 30 s.
        throw new Error(
          `status query of ${workflowId} failed: ${error.message}; is a worker polling task queue ` +
            `"${config.temporal.taskQueue}"? Start one with: npm run worker -- --config FILE`,
          { cause: error },
        );
      });
      const link = workflowLink(config, workflowId);
      if (values.json) {
        const { pending, requestedAt } = view.approval;
        const approvalAgeSeconds =
          pending && requestedAt !== null ? Math.round((Date.now() - Date.parse(requestedAt)) / 1000) : null;
        console.log(JSON.stringify({ ...view, link, approvalAgeSeconds }, null, 2));
      } else {
        console.log(formatStatus(view, link));
      }
      return 0;
    } finally {
      await client.connection.close();
    }
  },
};
