/** `deployer list`: the deploys waiting for approval, oldest first. */
import { listAwaitingApproval } from '../awaiting.js';
import { connectClient, workflowLink } from '../deploys.js';
import { formatAge } from '../format.js';
import { configOf, numberOption } from './args.js';
import { GLOBAL_HELP, type Command } from './command.js';

export const listCommand: Command = {
  name: 'list',
  summary: 'list the deploys waiting for approval, oldest first',
  help: `Usage: deployer list [--project ID] [--limit N]

Asks the Temporal visibility store for running deploy workflows whose DeployPhase search attribute
is "awaiting-approval", sorted by start time, oldest first. The store lags a moment behind the
workflows, so a deploy that started waiting a second ago may not be listed yet.

  --project ID   only deploys of this project (default: every project)
  --limit N      print at most N deploys (default: 1000)

Output: one line per deploy: work item, project, time since its start, workflow id and Web UI link.
With --json: an array of {"workflowId","runId","workItemId","projectId","startTime","link"}.
Exit code: 0 (also when none waits), 1 on an error, 2 on usage errors.

${GLOBAL_HELP}`,
  async run(values) {
    const config = configOf(values);
    const limit = numberOption(values, 'limit', 1000);
    const client = await connectClient(config);
    try {
      const deploys = await listAwaitingApproval({ client, projectId: values.project, limit });
      const rows = deploys.map((deploy) => ({ ...deploy, link: workflowLink(config, deploy.workflowId) }));
      if (values.json) {
        console.log(JSON.stringify(rows, null, 2));
        return 0;
      }
      if (rows.length === 0) console.log('no deploy is waiting for approval');
      for (const row of rows) {
        const age = formatAge(Date.now() - Date.parse(row.startTime));
        console.log(`${row.workItemId ?? '-'}  ${row.projectId ?? '-'}  started ${age} ago  ${row.workflowId}  ${row.link}`);
      }
      return 0;
    } finally {
      await client.connection.close();
    }
  },
};
