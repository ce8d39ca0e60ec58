/** `deployer start`: starts the deploy of a work item, or returns the one already running. */
import { connectClient, startDeploy } from '../deploys.js';
import { configOf, numberOption, required } from './args.js';
import { GLOBAL_HELP, type Command } from './command.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'start (or return the running) deploy of a work item; prints the workflow id and Web UI link',
  help: `Usage: deployer start --project ID --work-item ID --branch NAME --image REF --requested-by LOGIN [options]

Starts the staging gate and production deploy of a work item. Starting a work item whose deploy is
running returns that run. After a FAILED verdict a new run starts; after SUCCESS the start is
rejected unless --redeploy is given.

  --project ID                 project id from the config, e.g. orchestrator
  --work-item ID               work item id, e.g. ORCH-65
  --branch NAME                feature branch whose pull request is merged
  --image REF                  staging-validated image reference, e.g. registry:5000/orchestrator:1.4.2
  --requested-by LOGIN         who requests the deploy; this login cannot approve it
  --pr N                       pull request number (default: looked up by branch)
  --strict                     run the staging check in strict mode (passes --strict to it)
  --approval-timeout-hours H   approval deadline in hours (default: the project's approvalTimeoutHours, 72)
  --redeploy                   deploy again a work item whose last deploy ended SUCCESS

Output: "started" or "already running", the workflow id, run id and Web UI link.
When a deploy was already running with another image, branch, requester or pull request, one
"warning:" line names each difference; the running deploy is not changed.
With --json: {"workflowId","runId","startedNew","link","differences"}.
Exit code: 0 when started or already running, 1 when rejected or on an error, 2 on usage errors.

${GLOBAL_HELP}`,
  async run(values) {
    const config = configOf(values);
    const client = await connectClient(config);
    try {
      const outcome = await startDeploy(client, config, {
        projectId: required(values, 'project'),
        workItemId: required(values, 'work-item'),
        featureBranch: required(values, 'branch'),
        imageReference: required(values, 'image'),
        requestedBy: required(values, 'requested-by'),
        pullRequestNumber: numberOption(values, 'pr'),
        options: {
          strictStaging: values.strict,
          redeploy: values.redeploy,
          approvalTimeoutHours: numberOption(values, 'approval-timeout-hours'),
        },
      });
      if (values.json) {
        console.log(JSON.stringify(outcome));
      } else {
        console.log(`${outcome.startedNew ? 'started' : 'already running'}: ${outcome.workflowId} (run ${outcome.runId})`);
        for (const difference of outcome.differences) {
          console.log(`warning: the running deploy differs from this request: ${difference}`);
        }
        console.log(`Web UI: ${outcome.link}`);
      }
      return 0;
    } finally {
      await client.connection.close();
    }
  },
};
