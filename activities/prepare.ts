import { log } from '@temporalio/activity';
import { deployInputSchema, type DeployInput } from '../shared/input.js';
import type { ActivityDeps } from './context.js';
import { validated } from './failure.js';
import { projectOf } from './project.js';
import type { DeployPlan } from './types.js';

const HOUR_MS = 3_600_000;

/** Builds the first activity: validates the input again and returns the project's non-secret settings. */
export function createPrepareActivities(deps: ActivityDeps) {
  return {
    async prepareDeploy(input: DeployInput): Promise<DeployPlan> {
      const checked = validated(deployInputSchema, input, 'workflow input');
      const project = projectOf(deps.config, checked.projectId);
      const { temporal } = deps.config;
      const approvalHours = checked.options.approvalTimeoutHours ?? project.approvalTimeoutHours;
      log.info('deploy prepared', {
        projectId: checked.projectId,
        workItemId: checked.workItemId,
        selfHosting: project.selfHosting,
      });
      return {
        projectId: checked.projectId,
        selfHosting: project.selfHosting,
        stagingBaseUrl: project.staging.baseUrl,
        approvers: project.approvers,
        approvalTimeoutMs: Math.round(approvalHours * HOUR_MS),
        pollIntervalMs: Math.round(project.deploy.pollIntervalSeconds * 1000),
        hookTimeoutMs: Math.round(project.deploy.hookTimeoutSeconds * 1000),
        stagingTimeoutMs: Math.round(project.staging.timeoutSeconds * 1000),
        environment: project.deploy.environment,
        hostName: project.deploy.host,
        uiUrl: temporal.uiUrl,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
      };
    },
  };
}
