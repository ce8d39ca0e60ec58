import { log } from '@temporalio/activity';
import type { ProjectConfig } from '../shared/config.js';
import { branchSchema } from '../shared/ids.js';
import { failure, FailureType } from './failure.js';
import { PULL_PAGE_SIZE, type GiteaClient, type GiteaPullRequest } from './gitea-client.js';
import type { PullRequestInfo } from './types.js';

/** At most this many pages of pull requests are read when looking one up by branch. */
const MAX_PULL_PAGES = 20;

/** Finds a pull request by number, or by head branch in the project's own repository. */
export async function findPull({
  client,
  project,
  branch,
  number,
}: {
  client: GiteaClient;
  project: ProjectConfig;
  branch: string;
  number?: number;
}): Promise<GiteaPullRequest | null> {
  if (number !== undefined) {
    const pull = await client.getPullRequest(number);
    if (pull && pull.head.ref !== branch) {
      log.warn('pull request head differs from the expected branch', {
        pullRequest: number,
        head: pull.head.ref,
        branch,
      });
    }
    return pull;
  }
  if (!branchSchema.safeParse(branch).success) {
    throw failure(
      FailureType.InvalidInput,
      `invalid branch ${JSON.stringify(branch).slice(0, 80)}: expected a branch name such as feature/ORCH-65`,
    );
  }
  const candidates = await listPullsForBranch({ client, project, branch });
  return pickPull(candidates);
}

/** Lists every pull request whose head is the branch in the base repository itself, not in a fork. */
export async function listPullsForBranch({
  client,
  project,
  branch,
}: {
  client: GiteaClient;
  project: ProjectConfig;
  branch: string;
}) {
  const fullName = `${project.repository.owner}/${project.repository.name}`.toLowerCase();
  const matches: GiteaPullRequest[] = [];
  for (let page = 1; page <= MAX_PULL_PAGES; page += 1) {
    const pulls = await client.listPullRequests({ state: 'all', page });
    if (pulls.length === 0) {
      return matches;
    }
    matches.push(...pulls.filter((pull) => pull.head.ref === branch && isSameRepository(pull, fullName)));
  }
  log.warn('stopped listing pull requests at the page limit', {
    branch,
    pages: MAX_PULL_PAGES,
    pageSize: PULL_PAGE_SIZE,
  });
  return matches;
}

/**
 * Picks deterministically: an open pull request newer than every merged one (a rework after an earlier
 * merge), else the newest merged one, else the newest open one, else the newest closed one.
 */
export function pickPull(pulls: GiteaPullRequest[]): GiteaPullRequest | null {
  const newestFirst = [...pulls].sort((a, b) => b.number - a.number);
  const merged = newestFirst.find((pull) => pull.merged);
  const open = newestFirst.find((pull) => pull.state === 'open');
  if (open && (!merged || open.number > merged.number)) return open;
  return merged ?? newestFirst[0] ?? null;
}

function isSameRepository(pull: GiteaPullRequest, fullName: string): boolean {
  const headId = pull.head.repo_id;
  const baseId = pull.base.repo_id;
  if (typeof headId === 'number' && headId > 0 && typeof baseId === 'number' && baseId > 0) {
    return headId === baseId;
  }
  return (pull.head.repo?.full_name ?? '').toLowerCase() === fullName;
}

/** Converts a Gitea pull request into the activity contract's shape. */
export function toInfo(pull: GiteaPullRequest): PullRequestInfo {
  return {
    number: pull.number,
    state: pull.state,
    merged: pull.merged,
    headSha: pull.head.sha,
    headBranch: pull.head.ref,
  };
}
