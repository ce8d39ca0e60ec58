/** Lists deploys that wait for approval, through the visibility store's search attributes. */
import type { Client } from '@temporalio/client';
import { projectIdSchema } from '../shared/ids.js';
import { parseOrThrow } from '../shared/input.js';
import { DeployPhaseKey, DeployProjectKey, WorkItemIdKey } from '../shared/search-attributes.js';

/** One deploy waiting for approval, as the visibility store lists it. */
export interface AwaitingDeploy {
  workflowId: string;
  runId: string;
  workItemId: string | undefined;
  projectId: string | undefined;
  startTime: string;
}

/**
 * Returns the running deploys whose `DeployPhase` search attribute is `awaiting-approval`, oldest
 * start first, at most `limit` of them. The visibility store is eventually consistent, so a deploy
 * that entered the phase a moment ago may be missing for a second or so.
 */
export async function listAwaitingApproval(options: {
  client: Client;
  projectId?: string;
  limit: number;
}): Promise<AwaitingDeploy[]> {
  const { client, limit } = options;
  const query = visibilityQuery(options.projectId);
  const found: AwaitingDeploy[] = [];
  for await (const execution of client.workflow.list({ query })) {
    found.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      workItemId: execution.typedSearchAttributes.get(WorkItemIdKey),
      projectId: execution.typedSearchAttributes.get(DeployProjectKey),
      startTime: execution.startTime.toISOString(),
    });
  }
  // Temporal Cloud rejects ORDER BY in list filters (docs.temporal.io, List Filter), so sort here.
  found.sort((a, b) => a.startTime.localeCompare(b.startTime));
  return found.slice(0, limit);
}

/** Builds the list filter. The project id is validated first, because it is written into the query text. */
export function visibilityQuery(projectId: string | undefined): string {
  const clauses = [
    `WorkflowType = 'deployWorkItem'`,
    `ExecutionStatus = 'Running'`,
    `${DeployPhaseKey.name} = 'awaiting-approval'`,
  ];
  if (projectId !== undefined) {
    const checked = parseOrThrow(projectIdSchema, projectId, '--project');
    clauses.push(`${DeployProjectKey.name} = '${checked}'`);
  }
  return clauses.join(' AND ');
}
