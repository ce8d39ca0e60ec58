/** Client-side operations on deploy workflows: start with the id policies, decide, query. */
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Config } from '../shared/config.js';
import { deployInputSchema, parseOrThrow, type DeployInput, type DeployInputDraft } from '../shared/input.js';
import { DeployPhaseKey, DeployProjectKey, WorkItemIdKey } from '../shared/search-attributes.js';
import type { deployWorkItem } from '../workflows/deploy-work-item.js';
import {
  decideUpdate,
  statusQuery,
  type Decision,
  type DecisionAnswer,
  type DeployResult,
  type DeployStatusView,
} from '../workflows/messages.js';
import { connectionOptions } from './connection.js';

/** Raised when a start is refused because the work item is already deployed. */
export class AlreadyDeployedError extends Error {
  override readonly name = 'AlreadyDeployedError';
}

/** Workflow id of a work item's deploy: one workflow per work item and project. */
export function deployWorkflowId(projectId: string, workItemId: string): string {
  return `deploy-${projectId}-${workItemId}`;
}

/** Web UI link of a workflow. */
export function workflowLink(config: Config, workflowId: string): string {
  const { uiUrl, namespace } = config.temporal;
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Connects a client to the configured Temporal service. */
export async function connectClient(config: Config): Promise<Client> {
  const options = connectionOptions(config);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: '10s' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `cannot connect to Temporal at ${options.address} (temporal.address): ${message}; start the server or run "deployer doctor"`,
      { cause: error },
    );
  }
  return new Client({ connection, namespace: config.temporal.namespace });
}

export interface StartOutcome {
  workflowId: string;
  runId: string;
  /** False when a run for this work item was already in progress and is returned instead. */
  startedNew: boolean;
  link: string;
  /** Input fields of the running deploy that differ from this request, when one was returned. */
  differences: string[];
}

/**
 * Starts the deploy of a work item. A running deploy is returned as it is. After a FAILED verdict a
 * new run starts (the rework cycle). After SUCCESS the start is rejected unless `redeploy` is set.
 */
export async function startDeploy(client: Client, config: Config, draft: DeployInputDraft): Promise<StartOutcome> {
  const input: DeployInput = parseOrThrow(deployInputSchema, draft, 'deploy input');
  if (!(input.projectId in config.projects)) {
    throw new Error(`project ${JSON.stringify(input.projectId)} is not in the config (configured: ${Object.keys(config.projects).join(', ')})`);
  }
  const workflowId = deployWorkflowId(input.projectId, input.workItemId);
  const previous = await latestRun(client, workflowId);
  if (previous?.status === 'RUNNING') {
    const differences = await differencesFromRunning(client, workflowId, input);
    return { workflowId, runId: previous.runId, startedNew: false, link: workflowLink(config, workflowId), differences };
  }
  if (previous?.status === 'COMPLETED' && !input.options.redeploy) {
    const result = await client.workflow.getHandle<typeof deployWorkItem>(workflowId, previous.runId).result();
    if (result.deployStatus === 'SUCCESS') {
      throw new AlreadyDeployedError(
        `${input.workItemId} is already deployed (workflow ${workflowId} ended SUCCESS); pass --redeploy to deploy it again`,
      );
    }
  }

  const handle = await client.workflow.start<typeof deployWorkItem>('deployWorkItem', {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: WorkItemIdKey, value: input.workItemId },
      { key: DeployProjectKey, value: input.projectId },
      { key: DeployPhaseKey, value: 'staging' },
    ],
    staticSummary: `Deploy ${input.workItemId} (${input.projectId}) from ${input.featureBranch}`,
    staticDetails: [
      `**Work item** ${input.workItemId} in **${input.projectId}**`,
      `Branch \`${input.featureBranch}\`, image \`${input.imageReference}\``,
      `Requested by ${input.requestedBy}${config.projects[input.projectId]?.selfHosting ? ', self-hosting: needs approval' : ''}`,
      ...(config.projects[input.projectId]?.selfHosting
        ? ['Approve with the `approve` signal, input `{"approver":"<login>"}`, or `deployer approve`']
        : []),
    ].join('\n\n'),
  });
  const startedNew = previous === null || handle.firstExecutionRunId !== previous.runId;
  const differences = startedNew ? [] : await differencesFromRunning(client, workflowId, input);
  return { workflowId, runId: handle.firstExecutionRunId, startedNew, link: workflowLink(config, workflowId), differences };
}

/**
 * Compares a request with the input of the running deploy, read from the first event of its history
 * (no worker needed), so a caller learns that its image or requester is not the one being deployed.
 */
async function differencesFromRunning(client: Client, workflowId: string, input: DeployInput): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return [];
  const running = defaultPayloadConverter.fromPayload<DeployInput>(payload);
  const fields = ['imageReference', 'featureBranch', 'requestedBy', 'pullRequestNumber'] as const;
  return fields
    .filter((field) => running[field] !== input[field])
    .map((field) => `${field}: running ${JSON.stringify(running[field])}, requested ${JSON.stringify(input[field])}`);
}

async function latestRun(client: Client, workflowId: string): Promise<{ runId: string; status: string } | null> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return { runId: description.runId, status: description.status.name };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** Sends an approve or reject through the checked update and returns whether it counted. */
export async function decide(client: Client, workflowId: string, decision: Decision): Promise<DecisionAnswer> {
  try {
    return await client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [decision] });
  } catch (error) {
    // An update of a closed workflow fails with "not found", like an update of a workflow that never existed.
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    const run = await latestRun(client, workflowId);
    if (run === null || run.status === 'RUNNING') throw error;
    return { counted: false, reason: `no approval is pending: the deploy has already ended (${run.status})`, phase: 'finished' };
  }
}

/** Queries a deploy's status. */
export async function queryStatus(client: Client, workflowId: string): Promise<DeployStatusView> {
  return client.workflow.getHandle(workflowId).query(statusQuery);
}

/** Waits for a deploy's result. */
export async function awaitResult(client: Client, workflowId: string): Promise<DeployResult> {
  const handle: WorkflowHandle<typeof deployWorkItem> = client.workflow.getHandle(workflowId);
  return handle.result();
}
