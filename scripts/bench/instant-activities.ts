/**
 * Stand-in activities that return at once, with the same shape as the deploy activities, so the
 * benchmark measures the workflow and Temporal rather than git, the forge or the hook.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DeployActivities, DeployPlan, HookOutcome, LaunchRecord } from '../../activities/types.js';
import type { Config } from '../../shared/config.js';
import { approveSignal } from '../../workflows/messages.js';
import { APPROVER, SELF_PROJECT } from './bench-config.js';

const EXITED: HookOutcome = { exitCode: 0, result: 'exited', detail: 'the hook exited with code 0', logTail: [] };

/** Activities of the bench-only workflow. */
export interface BareActivities {
  benchNoop(request: { requestApproval: boolean }): Promise<null>;
}

/**
 * Builds the instant deploy activities plus the no-op of the bare workflow. When approval is
 * requested for the auto-approving project (or by the bare workflow), `client` sends `approve`.
 */
export function createInstantActivities(config: Config, client: Client | null): DeployActivities & BareActivities {
  const approveCurrentWorkflow = async () => {
    if (client === null) throw new Error('no client: the benchmark worker needs one to send approve');
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    if (workflowId === undefined) throw new Error('approve needs a workflow: this activity ran outside of one');
    await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: APPROVER });
  };
  return {
    async prepareDeploy(input) {
      return planOf(config, input.projectId);
    },
    async runStagingCheck() {
      const command = ['true'];
      return { exitCode: 0, waivers: [], verdictLines: [], outputTail: [], outputBytes: 0, durationMs: 0, timedOut: false, command };
    },
    async recordVerdict(request) {
      const path = `docs/work-items/${request.workItemId}/${request.kind === 'staging' ? '15-staging-log.md' : '14-deploy-log.md'}`;
      return { path, mainCommit: '0'.repeat(40), pullRequestNumber: 1, alreadyOnMain: false };
    },
    async mergeFeatureBranch() {
      return { outcome: 'merged', pullRequestNumber: 1, reason: '' };
    },
    async moveWorkItem(request) {
      if (request.to === 'approval-pending' && request.projectId === SELF_PROJECT) await approveCurrentWorkflow();
      return { changed: true };
    },
    async runHook() {
      return EXITED;
    },
    async launchHook(request) {
      return launchRecordOf(request.deployId);
    },
    async awaitHookExit() {
      return EXITED;
    },
    async benchNoop({ requestApproval }) {
      if (requestApproval) await approveCurrentWorkflow();
      return null;
    },
  };
}

function planOf(config: Config, projectId: string): DeployPlan {
  const project = config.projects[projectId];
  if (!project) throw new Error(`project ${projectId} is not in the benchmark config`);
  return {
    projectId,
    selfHosting: project.selfHosting,
    stagingBaseUrl: project.staging.baseUrl,
    approvers: project.approvers,
    approvalTimeoutMs: project.approvalTimeoutHours * 3_600_000,
    pollIntervalMs: project.deploy.pollIntervalSeconds * 1000,
    hookTimeoutMs: project.deploy.hookTimeoutSeconds * 1000,
    stagingTimeoutMs: project.staging.timeoutSeconds * 1000,
    environment: project.deploy.environment,
    hostName: project.deploy.host,
    uiUrl: config.temporal.uiUrl,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
  };
}

function launchRecordOf(deployId: string): LaunchRecord {
  const recordDir = `/nonexistent/bench/${deployId}`;
  return {
    deployId,
    host: 'production',
    pid: 1,
    pidStartTicks: '1',
    launchedAt: new Date().toISOString(),
    recordDir,
    exitFile: `${recordDir}/exit_code`,
    logFile: `${recordDir}/hook.log`,
    launchedNow: true,
  };
}
