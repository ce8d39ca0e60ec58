/** `deployer approve` and `deployer reject`: send a decision and report at once whether it counted. */
import { connectClient, decide, deployWorkflowId } from '../deploys.js';
import { configOf, required, workItemOf, type Values } from './args.js';
import { GLOBAL_HELP, type Command } from './command.js';

const DECISION_NOTES = `The decision goes through the workflow's "decide" update, so the answer says at once whether it
counted. It counts only from an allowed approver (the project's "approvers") who did not request
the deploy, while an approval is pending; other decisions are recorded and ignored. The plain
"approve" and "reject" signals (Temporal CLI, Web UI) keep working and have the same rules.

Output: "<command> counted: ..." or "<command> did not count: <reason>".
With --json: {"counted","reason","phase"}.
Exit code: 0 when the decision counted, 1 when it did not or on an error, 2 on usage errors.`;

export const approveCommand: Command = {
  name: 'approve',
  summary: 'approve a pending self-hosting deploy; reports at once whether the approval counted',
  help: `Usage: deployer approve --project ID --work-item ID --approver LOGIN [--comment TEXT]

  --project ID        project id from the config
  --work-item ID      work item id, e.g. ORCH-65
  --approver LOGIN    your login; must be in the project's approvers and not the requester
  --comment TEXT      note kept in the deploy verdict (optional, at most 2000 characters)

${DECISION_NOTES}

${GLOBAL_HELP}`,
  run: (values) => sendDecision('approve', values),
};

export const rejectCommand: Command = {
  name: 'reject',
  summary: 'reject a pending self-hosting deploy; the deploy ends FAILED and nothing is launched',
  help: `Usage: deployer reject --project ID --work-item ID --approver LOGIN --reason TEXT

  --project ID        project id from the config
  --work-item ID      work item id, e.g. ORCH-65
  --approver LOGIN    your login; must be in the project's approvers and not the requester
  --reason TEXT       why, written into the deploy verdict (required, at most 2000 characters)

${DECISION_NOTES}

${GLOBAL_HELP}`,
  run: (values) => sendDecision('reject', values),
};

async function sendDecision(command: 'approve' | 'reject', values: Values): Promise<number> {
  const { projectId, workItemId } = workItemOf(values);
  const approver = required(values, 'approver');
  const decision =
    command === 'approve'
      ? { decision: 'approve' as const, approver, comment: values.comment }
      : { decision: 'reject' as const, approver, reason: required(values, 'reason') };
  const client = await connectClient(configOf(values));
  try {
    const answer = await decide(client, deployWorkflowId(projectId, workItemId), decision);
    if (values.json) console.log(JSON.stringify(answer));
    else console.log(answer.counted ? `${command} counted: ${answer.reason}` : `${command} did not count: ${answer.reason}`);
    return answer.counted ? 0 : 1;
  } finally {
    await client.connection.close();
  }
}
