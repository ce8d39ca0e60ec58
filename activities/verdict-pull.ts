import { log } from '@temporalio/activity';
import type { ProjectConfig } from '../shared/config.js';
import { failure, FailureType } from './failure.js';
import { guard } from './forge-failure.js';
import { mergeWithClient } from './forge.js';
import { listPullsForBranch } from './pull-lookup.js';
import type { GiteaClient, GiteaPullRequest } from './gitea-client.js';

/**
 * Returns the pull request that carries `headSha` from the verdict branch: an open one, or one already
 * merged at that commit. Opens a new one when there is neither.
 */
export async function findOrOpenPull({
  client,
  project,
  branch,
  headSha,
  title,
  body,
}: {
  client: GiteaClient;
  project: ProjectConfig;
  branch: string;
  headSha: string;
  title: string;
  body: string;
}): Promise<GiteaPullRequest> {
  const existing = await findCarrier({ client, project, branch, headSha });
  if (existing) {
    log.info('reusing the verdict pull request', { pullRequest: existing.number, merged: existing.merged });
    return existing;
  }

  const base = project.repository.mainBranch;
  const created = await guard(
    () => client.createPullRequest({ head: branch, base, title, body }),
    `open pull request for ${branch}`,
  );
  if (created.status === 201) {
    const pull = created.body as GiteaPullRequest;
    log.info('verdict pull request opened', { pullRequest: pull.number, branch });
    return pull;
  }

  const raced = await findCarrier({ client, project, branch, headSha });
  if (!raced) {
    throw failure(
      FailureType.ForgeUnavailable,
      `opening a pull request for ${branch} returned HTTP 409, but no open one was found; retrying`,
    );
  }
  return raced;
}

async function findCarrier({
  client,
  project,
  branch,
  headSha,
}: {
  client: GiteaClient;
  project: ProjectConfig;
  branch: string;
  headSha: string;
}) {
  const pulls = await guard(() => listPullsForBranch({ client, project, branch }), `list pull requests for ${branch}`);
  const newestFirst = [...pulls].sort((a, b) => b.number - a.number);
  return (
    newestFirst.find((pull) => pull.state === 'open' && !pull.merged) ??
    newestFirst.find((pull) => pull.merged && pull.head.sha === headSha)
  );
}

/** Merges the verdict pull request; "already merged" is success, a conflict or a closed pull request raises. */
export async function mergeVerdictPull({
  client,
  pull,
  headSha,
  workflowId,
}: {
  client: GiteaClient;
  pull: GiteaPullRequest;
  headSha: string;
  workflowId: string;
}): Promise<void> {
  if (pull.merged) {
    return;
  }
  const result = await mergeWithClient({
    client,
    number: pull.number,
    headSha,
    message: `Verdict merged by workflow ${workflowId}`,
  });
  if (result.outcome === 'conflict') {
    throw failure(
      FailureType.GitFailed,
      `verdict pull request #${pull.number} conflicts with main (${result.reason}); retrying rebuilds the branch on the current main`,
    );
  }
  if (result.outcome === 'closed') {
    throw failure(
      FailureType.ForgeRejected,
      `verdict pull request #${pull.number} was closed without being merged; ` +
        'find out who closed it, then re-run the step to open a new pull request',
    );
  }
}
