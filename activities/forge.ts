import { log } from '@temporalio/activity';
import { readSecret, type ProjectConfig } from '../shared/config.js';
import type { ActivityDeps } from './context.js';
import { failure, FailureType } from './failure.js';
import { guard } from './forge-failure.js';
import { GiteaClient } from './gitea-client.js';
import { findPull, toInfo } from './pull-lookup.js';
import { projectOf } from './project.js';
import type { FindPullRequestRequest, MergeOutcome, MergePullRequestRequest, PullRequestInfo } from './types.js';

/** Builds the forge activities: look up, check and merge pull requests through the Gitea API. */
export function createForgeActivities(deps: ActivityDeps) {
  return {
    /** Finds the pull request of a branch (or by number): merged first, then open, then newest. */
    async findPullRequest(request: FindPullRequestRequest): Promise<PullRequestInfo | null> {
      const { client, project } = forgeClient(deps, request.projectId);
      const pull = await guard(
        () => findPull({ client, project, branch: request.branch, number: request.number }),
        'find pull request',
      );
      return pull ? toInfo(pull) : null;
    },

    /** Returns whether a pull request is merged. It never raises: on any error it logs and returns false. */
    async isPullRequestMerged(request: { projectId: string; number: number }): Promise<boolean> {
      try {
        const { client } = forgeClient(deps, request.projectId);
        return await client.isMerged(request.number);
      } catch (error) {
        log.warn('merge check failed, treating the pull request as not merged', {
          projectId: request.projectId,
          pullRequest: request.number,
          error: describeError(error),
        });
        return false;
      }
    },

    /** Merges a pull request. A pull request that is already merged counts as success. */
    async mergePullRequest(request: MergePullRequestRequest): Promise<MergeOutcome> {
      const { client } = forgeClient(deps, request.projectId);
      return mergeWithClient({
        client,
        number: request.number,
        headSha: request.headSha,
        message: `Merged by deployer for work item ${request.workItemId}`,
      });
    },
  };
}

/** Builds a Gitea client for a project from the config, reading the token from the environment now. */
export function forgeClient(deps: ActivityDeps, projectId: string): { client: GiteaClient; project: ProjectConfig } {
  const project = projectOf(deps.config, projectId);
  const forge = deps.config.forge;
  let token: string;
  try {
    token = readSecret(forge.tokenEnv, 'forge token', deps.env ?? process.env);
  } catch (error) {
    throw failure(FailureType.MissingSecret, (error as Error).message, error);
  }
  const client = new GiteaClient({
    baseUrl: forge.baseUrl,
    token,
    owner: project.repository.owner,
    repo: project.repository.name,
    timeoutMs: forge.requestTimeoutSeconds * 1000,
  });
  return { client, project };
}

/**
 * Merges through the API and maps the response to an outcome. A 404 or 405 is re-checked: merged is
 * success, "try again later" retries and closed is reported. A 409 "out of date" retries, and any
 * other 409 is a conflict.
 */
export async function mergeWithClient({
  client,
  number,
  headSha,
  message,
}: {
  client: GiteaClient;
  number: number;
  headSha?: string;
  message: string;
}): Promise<MergeOutcome> {
  const response = await guard(
    () => client.merge(number, { headCommitId: headSha, message }),
    `merge pull request #${number}`,
  );
  if (response.status === 200) {
    log.info('pull request merged', { pullRequest: number });
    return { outcome: 'merged' };
  }
  if (response.status === 409) {
    if (/out of date|does not match/i.test(response.message)) {
      throw failure(
        FailureType.ForgeUnavailable,
        `merge of pull request #${number} was rejected because its head or base branch moved ` +
          `(HTTP 409: ${response.message}); retrying`,
      );
    }
    return { outcome: 'conflict', reason: response.message || `pull request #${number} has merge conflicts` };
  }
  return resolveMergeRejection({ client, number, status: response.status, message: response.message });
}

/** Resolves a 404 or 405 merge response by checking the merge state and reading the pull request again. */
async function resolveMergeRejection({
  client,
  number,
  status,
  message,
}: {
  client: GiteaClient;
  number: number;
  status: number;
  message: string;
}): Promise<MergeOutcome> {
  if (await guard(() => client.isMerged(number), `check pull request #${number}`)) {
    log.info('pull request already merged', { pullRequest: number });
    return { outcome: 'already-merged' };
  }
  if (status === 405 && /try again later/i.test(message)) {
    throw failure(
      FailureType.ForgeUnavailable,
      `forge is not ready to merge pull request #${number} (HTTP 405: try again later)`,
    );
  }

  const pull = await guard(() => client.getPullRequest(number), `read pull request #${number}`);
  if (pull === null) {
    throw failure(
      FailureType.ForgeRejected,
      `pull request #${number} not found: check the pull request number and the repository in the config`,
    );
  }
  if (pull.state === 'closed') {
    return {
      outcome: 'closed',
      reason: `pull request #${number} is closed without being merged${message ? ` (${message})` : ''}`,
    };
  }
  throw failure(
    FailureType.ForgeRejected,
    `forge rejected the merge of pull request #${number} with HTTP ${status}: ${message || 'no message'}; ` +
      'check the pull request in the forge',
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
