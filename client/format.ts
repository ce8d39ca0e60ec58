import type { DeployStatusView } from '../workflows/messages.js';

/** Formats a deploy's status as a few aligned lines for people. */
export function formatStatus(view: DeployStatusView, link: string): string {
  const lines = [
    `workflow      ${view.workflowId}`,
    `work item     ${view.workItemId} (${view.projectId}), requested by ${view.requestedBy}`,
    `phase         ${view.phase}`,
    `staging       ${view.stagingStatus ?? '-'}`,
    `deploy        ${view.deployStatus ?? '-'}${view.reason ? ` (${view.reason})` : ''}`,
  ];
  const { approval } = view;
  if (approval.pending) {
    lines.push(`approval      pending since ${approval.requestedAt}, deadline ${approval.deadline}`);
  } else if (approval.approver) {
    lines.push(`approval      approved by ${approval.approver}`);
  } else if (approval.rejectedBy) {
    lines.push(`approval      rejected by ${approval.rejectedBy}`);
  }
  for (const ignored of approval.ignored) {
    lines.push(`ignored       ${ignored.decision} from ${ignored.approver} at ${ignored.at}: ${ignored.reason}`);
  }
  if (view.launch) {
    lines.push(`launch        ${view.launch.deployId} pid ${view.launch.pid} on ${view.launch.host} at ${view.launch.launchedAt}`);
  }
  if (view.hookExitCode !== null) lines.push(`hook exit     ${view.hookExitCode}`);
  lines.push(`Web UI        ${link}`);
  return lines.join('\n');
}
