import { log } from '@temporalio/activity';
import { branchSchema, projectIdSchema, workItemIdSchema } from '../shared/ids.js';
import { validated } from './failure.js';
import { faultPoint } from './faults.js';
import type {
  FindPullRequestRequest,
  MergeFeatureBranchRequest,
  MergeFeatureBranchResult,
  MergeOutcome,
  MergePullRequestRequest,
  PullRequestInfo,
} from './types.js';

/** The forge calls that the merge step is built from. */
export interface ForgeCalls {
  findPullRequest(request: FindPullRequestRequest): Promise<PullRequestInfo | null>;
  isPullRequestMerged(request: { projectId: string; number: number }): Promise<boolean>;
  mergePullRequest(request: MergePullRequestRequest): Promise<MergeOutcome>;
}

/**
 * Builds `mergeFeatureBranch`: finds the work item's pull request, consults the merge guard and
 * merges only when the guard does not report it merged. "Already merged" after a refusal is success.
 */
export function createMergeActivities(forge: ForgeCalls) {
  return {
    async mergeFeatureBranch(request: MergeFeatureBranchRequest): Promise<MergeFeatureBranchResult> {
      validated(projectIdSchema, request.projectId, 'projectId');
      validated(workItemIdSchema, request.workItemId, 'workItemId');
      validated(branchSchema, request.branch, 'featureBranch');
      const ids = { projectId: request.projectId, workItemId: request.workItemId, branch: request.branch };

      const pull = await forge.findPullRequest({ projectId: request.projectId, branch: request.branch, number: request.number });
      if (pull === null) {
        log.warn('pull request not found', ids);
        return { outcome: 'not-found', pullRequestNumber: null, reason: `no pull request found for branch ${request.branch}` };
      }
      const number = pull.number;
      if (pull.merged || (await forge.isPullRequestMerged({ projectId: request.projectId, number }))) {
        log.info('merge skipped: pull request already merged', { ...ids, number });
        return { outcome: 'already-merged', pullRequestNumber: number, reason: '' };
      }
      await faultPoint('merge-guard-answered');

      const merge = await forge.mergePullRequest({
        projectId: request.projectId,
        number,
        headSha: pull.headSha,
        workItemId: request.workItemId,
      });
      await faultPoint('feature-merged');
      log.info('merge finished', { ...ids, number, outcome: merge.outcome });
      if (merge.outcome === 'merged' || merge.outcome === 'already-merged') {
        return { outcome: merge.outcome, pullRequestNumber: number, reason: '' };
      }
      return { outcome: merge.outcome, pullRequestNumber: number, reason: `pull request #${number}: ${merge.reason}` };
    },
  };
}
