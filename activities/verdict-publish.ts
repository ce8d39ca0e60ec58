import path from 'node:path';
import { log } from '@temporalio/activity';
import { z } from 'zod';
import { projectIdSchema, workItemIdSchema } from '../shared/ids.js';
import type { ActivityDeps } from './context.js';
import { failure, FailureType, validated } from './failure.js';
import { faultPoint } from './faults.js';
import { guard } from './forge-failure.js';
import { forgeClient } from './forge.js';
import { commitOneFile, ensureMirror, fetchBranches, pushWithLease, readBlob, readRef, withLock } from './git.js';
import type { PublishVerdictRequest, PublishVerdictResult, VerdictKind } from './types.js';
import { findOrOpenPull, mergeVerdictPull } from './verdict-pull.js';

/** File name of each verdict inside the work item folder. */
const VERDICT_FILES: Record<VerdictKind, string> = {
  staging: '15-staging-log.md',
  deploy: '14-deploy-log.md',
};

const requestSchema = z
  .object({
    projectId: projectIdSchema,
    workItemId: workItemIdSchema,
    kind: z.enum(['staging', 'deploy']),
    content: z
      .string()
      .min(1, 'expected the rendered verdict file')
      .max(1_000_000, 'expected at most 1,000,000 characters'),
    workflowId: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'expected 1 to 255 printable ASCII characters without spaces'),
  })
  .strict();

/** Builds the verdict activity: commit the verdict file on a branch, open a pull request and merge it. */
export function createVerdictActivities(deps: ActivityDeps) {
  return {
    /**
     * Publishes a verdict file to the main branch through a pull request (never a direct push to
     * main). Returns at once, writing nothing, when main already has the same content.
     */
    async publishVerdict(raw: PublishVerdictRequest): Promise<PublishVerdictResult> {
      const request = validated(requestSchema, raw, 'publishVerdict request');
      const { client, project } = forgeClient(deps, request.projectId);
      const file = `docs/work-items/${request.workItemId}/${VERDICT_FILES[request.kind]}`;
      const branch = `deployer/${request.workItemId}/${path.basename(VERDICT_FILES[request.kind], '.md')}`;
      const mainBranch = project.repository.mainBranch;
      const mirror = {
        dir: path.join(deps.config.stateDir, 'repos', request.projectId),
        cloneUrl: project.repository.cloneUrl,
        refspecs: [
          `+refs/heads/${mainBranch}:refs/remotes/origin/${mainBranch}`,
          // A pattern refspec, because a missing exact ref fails the fetch and this branch is often absent.
          `+refs/heads/deployer/${request.workItemId}/*:refs/remotes/origin/deployer/${request.workItemId}/*`,
        ],
      };
      const mainRef = `refs/remotes/origin/${mainBranch}`;

      const prepared = await withLock(mirror.dir, () => prepareBranch({ mirror, mainRef, branch, file, request }));
      if (prepared.alreadyOnMain) {
        log.info('verdict already on main, nothing written', {
          workItemId: request.workItemId,
          path: file,
          mainCommit: prepared.mainCommit,
        });
        return { path: file, mainCommit: prepared.mainCommit, pullRequestNumber: null, alreadyOnMain: true };
      }

      const title = `Add ${request.kind} verdict for ${request.workItemId}`;
      const body = `Verdict file \`${file}\` written by workflow ${request.workflowId}.`;
      const pull = await findOrOpenPull({ client, project, branch, headSha: prepared.commit, title, body });
      await faultPoint(`${request.kind}-verdict-pull-opened`);
      await mergeVerdictPull({ client, pull, headSha: prepared.commit, workflowId: request.workflowId });
      await faultPoint(`${request.kind}-verdict-merged`);
      const deleted = await guard(() => client.deleteBranch(branch), `delete branch ${branch}`).catch(
        (error: unknown) => {
          log.warn('verdict branch not deleted, delete it by hand', { branch, error: (error as Error).message });
          return false;
        },
      );

      const mainCommit = await withLock(mirror.dir, () =>
        confirmOnMain({ mirror, mainRef, file, content: request.content }),
      );
      log.info('verdict merged to main', {
        workItemId: request.workItemId,
        path: file,
        pullRequest: pull.number,
        mainCommit,
        branchDeleted: deleted,
      });
      return { path: file, mainCommit, pullRequestNumber: pull.number, alreadyOnMain: false };
    },
  };
}

interface Mirror {
  dir: string;
  cloneUrl: string;
  refspecs: string[];
}

type Prepared = { alreadyOnMain: true; mainCommit: string } | { alreadyOnMain: false; commit: string };

/** Fetches, then either finds the content on main or makes sure the verdict branch contains a commit with it. */
async function prepareBranch({
  mirror,
  mainRef,
  branch,
  file,
  request,
}: {
  mirror: Mirror;
  mainRef: string;
  branch: string;
  file: string;
  request: z.infer<typeof requestSchema>;
}): Promise<Prepared> {
  await ensureMirror(mirror);
  await fetchBranches(mirror);
  const main = await readRef(mirror.dir, mainRef);
  if (main === undefined) {
    throw failure(
      FailureType.GitFailed,
      `branch ${mainRef.replace('refs/remotes/origin/', '')} not found in ${mirror.cloneUrl}: check repository.mainBranch in the config`,
    );
  }
  const expected = Buffer.from(request.content, 'utf8');
  const onMain = await readBlob(mirror.dir, main, file);
  if (onMain?.equals(expected)) {
    return { alreadyOnMain: true, mainCommit: main };
  }

  const branchRef = `refs/remotes/origin/${branch}`;
  const observed = await readRef(mirror.dir, branchRef);
  if (observed !== undefined && (await isReusable({ dir: mirror.dir, commit: observed, main, file, expected }))) {
    log.info('reusing the verdict branch that already has this content', { branch, commit: observed });
    return { alreadyOnMain: false, commit: observed };
  }

  const message = `Add ${request.kind} verdict for ${request.workItemId}\n\nWorkflow: ${request.workflowId}\n`;
  const commit = await commitOneFile({ dir: mirror.dir, parent: main, file, content: request.content, message });
  await faultPoint(`${request.kind}-verdict-committed`);
  await pushWithLease({ dir: mirror.dir, cloneUrl: mirror.cloneUrl, commit, branch, expected: observed });
  await faultPoint(`${request.kind}-verdict-pushed`);
  log.info('verdict branch pushed', { branch, commit, replaced: observed ?? null });
  return { alreadyOnMain: false, commit };
}

/**
 * A branch commit is reused when it has the expected content and its parent has the same version of the
 * file as main, so merging it cannot conflict on that file.
 */
async function isReusable({
  dir,
  commit,
  main,
  file,
  expected,
}: {
  dir: string;
  commit: string;
  main: string;
  file: string;
  expected: Buffer;
}) {
  const onBranch = await readBlob(dir, commit, file);
  if (!onBranch?.equals(expected)) {
    return false;
  }
  const beforeBranch = await readBlob(dir, `${commit}^`, file);
  const onMain = await readBlob(dir, main, file);
  return beforeBranch === undefined ? onMain === undefined : onMain !== undefined && beforeBranch.equals(onMain);
}

/** Fetches main and returns its tip once it has exactly the published content. */
async function confirmOnMain({
  mirror,
  mainRef,
  file,
  content,
}: {
  mirror: Mirror;
  mainRef: string;
  file: string;
  content: string;
}) {
  await fetchBranches(mirror);
  const main = await readRef(mirror.dir, mainRef);
  const onMain = main === undefined ? undefined : await readBlob(mirror.dir, main, file);
  if (main === undefined || !onMain?.equals(Buffer.from(content, 'utf8'))) {
    throw failure(
      FailureType.GitFailed,
      `the merged pull request did not leave ${file} with the published content on main; retrying will publish it again`,
    );
  }
  return main;
}
