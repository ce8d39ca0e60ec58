import type { DeployStatusView } from '../workflows/messages.js';

/** Formats a deploy's status as a few aligned lines for people; `now` sets the approval's age. */
export function formatStatus(view: DeployStatusView, link: string, now: Date = new Date()): string {
  const lines = [
    `workflow      ${view.workflowId}`,
    `work item     ${view.workItemId} (${view.projectId}), requested by ${view.requestedBy}`,
    `image         ${view.imageReference}`,
    `phase         ${view.phase}`,
    `staging       ${view.stagingStatus ?? '-'}`,
    `deploy        ${view.deployStatus ?? '-'}${view.reason ? ` (${view.reason})` : ''}`,
  ];
  lines.push(...approvalLines(view.approval, now));
  if (view.launch) {
    lines.push(`launch        ${view.launch.deployId} pid ${view.launch.pid} on ${view.launch.host} at ${view.launch.launchedAt}`);
  }
  if (view.hookExitCode !== null) lines.push(`hook exit     ${view.hookExitCode}`);
  lines.push(`Web UI        ${link}`);
  return lines.join('\n');
}

function approvalLines(approval: DeployStatusView['approval'], now: Date): string[] {
  const lines: string[] = [];
  if (approval.pending && approval.requestedAt !== null) {
    const age = formatAge(now.getTime() - Date.parse(approval.requestedAt));
    const left = approval.deadline === null ? '' : `, ${formatAge(Date.parse(approval.deadline) - now.getTime())} left`;
    lines.push(`approval      pending for ${age} (since ${approval.requestedAt})`);
    lines.push(`deadline      ${approval.deadline ?? '-'}${left}`);
  } else if (approval.approver) {
    lines.push(`approval      approved by ${approval.approver}${approval.comment ? `: ${printable(approval.comment)}` : ''}`);
  } else if (approval.rejectedBy) {
    lines.push(`approval      rejected by ${approval.rejectedBy}`);
  }
  for (const ignored of approval.ignored) {
    lines.push(`ignored       ${ignored.decision} from ${printable(ignored.approver)} at ${ignored.at}: ${ignored.reason}`);
  }
  return lines;
}

/**
 * Escapes control characters such as newlines and ANSI escapes in text that comes from a signal
 * payload, so that a payload cannot add or recolor lines of the status output.
 */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Formats a duration in milliseconds for people: `42 s`, `3 min 5 s`, `2 h 10 min`. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
