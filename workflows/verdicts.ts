/** Frontmatter fields and bodies of the two verdict files, built deterministically inside the workflow. */
import type { HookOutcome, StagingCheckResult, Status } from '../activities/types.js';
import type { DeployInput } from '../shared/input.js';
import type { DeployStatusView } from './messages.js';

type Fields = Record<string, string | number | boolean | string[] | null>;

/** Fields of `15-staging-log.md`: the status first, then the time, then the URL that was checked. */
export function stagingFields(options: {
  status: Status;
  timestamp: string;
  baseUrl: string;
  check: StagingCheckResult;
  workflowId: string;
}): Fields {
  const { check } = options;
  return {
    staging_status: options.status,
    timestamp: options.timestamp,
    base_url: options.baseUrl,
    exit_code: check.exitCode,
    infra_waived_count: check.waivers.length,
    infra_waived: check.waivers,
    timed_out: check.timedOut,
    workflow_id: options.workflowId,
  };
}

/** Body of `15-staging-log.md`: waivers and VERDICT lines copied verbatim, then the output tail. */
export function stagingBody(status: Status, check: StagingCheckResult): string {
  const lines = [
    '# Staging Gate Log',
    '',
    status === 'SUCCESS'
      ? 'Staging check suite completed: exit code 0.'
      : `Staging check suite FAILED: exit code ${check.exitCode}${check.timedOut ? ' (timed out)' : ''}.`,
    '',
    `Command: \`${check.command.join(' ')}\``,
    `Duration: ${(check.durationMs / 1000).toFixed(1)} s, output ${check.outputBytes} bytes.`,
  ];
  if (check.waivers.length > 0) {
    lines.push('', '## Infrastructure waivers', '', ...check.waivers.map((line) => `    ${line}`));
  }
  if (check.verdictLines.length > 0) {
    lines.push('', '## Verdict lines', '', ...check.verdictLines.map((line) => `    ${line}`));
  }
  if (check.outputTail.length > 0) {
    lines.push('', '## Last lines of output', '', ...check.outputTail.map((line) => `    ${line}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Fields of `14-deploy-log.md`. SUCCESS only ever comes with a hook exit code of 0. */
export function deployFields(options: {
  status: Status;
  timestamp: string;
  input: DeployInput;
  state: DeployStatusView;
  reason: string | null;
  workflowId: string;
}): Fields {
  const { input, state } = options;
  return {
    deploy_status: options.status,
    timestamp: options.timestamp,
    project: input.projectId,
    work_item: input.workItemId,
    image: input.imageReference,
    requested_by: input.requestedBy,
    approver: state.approval.approver,
    pull_request: state.pullRequestNumber,
    deploy_id: state.deployId,
    hook_exit_code: state.hookExitCode,
    reason: options.reason,
    workflow_id: options.workflowId,
  };
}

/** Body of `14-deploy-log.md`, with the last lines of the hook's log when there are any. */
export function deployBody(status: Status, reason: string | null, outcome: HookOutcome | null): string {
  const lines = ['# Deploy Log', '', status === 'SUCCESS' ? 'Deploy hook reported healthy: exit code 0.' : `Deploy FAILED: ${reason}.`];
  if (outcome && outcome.logTail.length > 0) {
    lines.push('', '## Last lines of the hook log', '', ...outcome.logTail.map((line) => `    ${line}`));
  }
  return `${lines.join('\n')}\n`;
}
