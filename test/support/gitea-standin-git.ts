import { execa } from 'execa';
import { FIXTURE_GIT_ENV } from './git-fixture.js';

const GIT_TIMEOUT_MS = 30_000;

/** Identity of the merge commits that the stand-in forge writes. */
const MERGER_ENV = {
  ...FIXTURE_GIT_ENV,
  GIT_AUTHOR_NAME: 'Gitea Stand-in',
  GIT_AUTHOR_EMAIL: 'gitea-standin@example.invalid',
  GIT_COMMITTER_NAME: 'Gitea Stand-in',
  GIT_COMMITTER_EMAIL: 'gitea-standin@example.invalid',
};

async function git(repoPath: string, args: string[]) {
  return execa('git', args, { cwd: repoPath, env: MERGER_ENV, timeout: GIT_TIMEOUT_MS, reject: false });
}

/** Returns the commit a branch points to, or undefined when the branch does not exist. */
export async function readBranch(repoPath: string, branch: string): Promise<string | undefined> {
  const result = await git(repoPath, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** Returns every branch's commit in one git call, so a listing does not start a process per pull request. */
export async function readAllBranches(repoPath: string): Promise<Map<string, string>> {
  const result = await git(repoPath, ['for-each-ref', '--format=%(refname:strip=2) %(objectname)', 'refs/heads/']);
  const branches = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const [name, sha] = line.split(' ');
    if (name && sha) branches.set(name, sha);
  }
  return branches;
}

/** Returns the branch that HEAD of a bare repository names. */
export async function readDefaultBranch(repoPath: string): Promise<string> {
  const result = await git(repoPath, ['symbolic-ref', '--short', 'HEAD']);
  return result.exitCode === 0 ? result.stdout.trim() : 'main';
}

/** Returns the subject line of a commit. */
export async function readSubject(repoPath: string, commit: string): Promise<string> {
  const result = await git(repoPath, ['log', '-1', '--format=%s', commit]);
  return result.stdout.trim();
}

/** Returns the best common ancestor of two commits, or an empty string for unrelated histories. */
export async function readMergeBase(repoPath: string, a: string, b: string): Promise<string> {
  const result = await git(repoPath, ['merge-base', a, b]);
  return result.exitCode === 0 ? result.stdout.trim() : '';
}

export type MergeResult =
  | { result: 'merged'; commit: string }
  | { result: 'conflict'; files: string[] }
  | { result: 'base-moved' };

/**
 * Merges head into base inside the bare repository: a merge tree written with `git merge-tree
 * --write-tree` (git 2.38 or later), a commit with both parents, and a ref update that fails when
 * base moved since it was read.
 */
export async function mergeBranches({
  repoPath,
  base,
  baseCommit,
  headCommit,
  message,
}: {
  repoPath: string;
  base: string;
  baseCommit: string;
  headCommit: string;
  message: string;
}): Promise<MergeResult> {
  const merged = await git(repoPath, [
    'merge-tree',
    '--write-tree',
    '--name-only',
    '--no-messages',
    baseCommit,
    headCommit,
  ]);
  if (merged.exitCode === 1) {
    const [, ...files] = merged.stdout.trim().split('\n');
    return { result: 'conflict', files: files.filter((line) => line !== '') };
  }
  if (merged.exitCode !== 0) {
    throw new Error(`git merge-tree failed with exit code ${merged.exitCode}: ${merged.stderr}`);
  }

  const tree = merged.stdout.trim().split('\n')[0] ?? '';
  const commit = await git(repoPath, ['commit-tree', tree, '-p', baseCommit, '-p', headCommit, '-m', message]);
  if (commit.exitCode !== 0) {
    throw new Error(`git commit-tree failed: ${commit.stderr}`);
  }
  const mergeCommit = commit.stdout.trim();
  const update = await git(repoPath, ['update-ref', `refs/heads/${base}`, mergeCommit, baseCommit]);
  return update.exitCode === 0 ? { result: 'merged', commit: mergeCommit } : { result: 'base-moved' };
}

/** Deletes a branch; returns false when it did not exist. */
export async function deleteBranch(repoPath: string, branch: string): Promise<boolean> {
  const tip = await readBranch(repoPath, branch);
  if (tip === undefined) {
    return false;
  }
  const result = await git(repoPath, ['update-ref', '-d', `refs/heads/${branch}`, tip]);
  return result.exitCode === 0;
}
