import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

const GIT_TIMEOUT_MS = 30_000;

/** Environment for fixture git commands: a fixed identity and no user or system config. */
export const FIXTURE_GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'Fixture Author',
  GIT_AUTHOR_EMAIL: 'fixture@example.invalid',
  GIT_COMMITTER_NAME: 'Fixture Author',
  GIT_COMMITTER_EMAIL: 'fixture@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

export interface FeatureBranchSpec {
  branch: string;
  workItemId: string;
  /** Repository-relative path to file content, committed on top of main. */
  files: Record<string, string>;
}

export interface OriginRepository {
  /** Path of the bare repository `dir/origin.git`. */
  originPath: string;
  mainCommit: string;
  /** Commit id of each feature branch, by branch name. */
  branches: Record<string, string>;
}

/** Runs git with the fixture identity and returns trimmed stdout. */
export async function fixtureGit(cwd: string, args: string[], input?: string): Promise<string> {
  const result = await execa('git', args, { cwd, input, env: FIXTURE_GIT_ENV, timeout: GIT_TIMEOUT_MS });
  return result.stdout.trim();
}

/**
 * Creates a bare repository `dir/origin.git` whose main branch has a README and a work item folder per
 * id, plus one commit on each feature branch.
 */
export async function createOriginRepository({
  dir,
  projectId,
  workItemIds,
  featureBranches = [],
}: {
  dir: string;
  projectId: string;
  workItemIds: string[];
  featureBranches?: FeatureBranchSpec[];
}): Promise<OriginRepository> {
  const originPath = path.join(dir, 'origin.git');
  await mkdir(originPath, { recursive: true });
  await fixtureGit(originPath, ['init', '--bare', '--quiet', '--initial-branch=main']);

  const mainFiles: Record<string, string> = { 'README.md': `# ${projectId}\n` };
  for (const id of workItemIds) {
    mainFiles[`docs/work-items/${id}/README.md`] = `# ${id}\n`;
  }
  const mainCommit = await commitFiles({
    repoPath: originPath,
    branch: 'main',
    files: mainFiles,
    message: 'Initial commit',
  });

  const branches: Record<string, string> = {};
  for (const spec of featureBranches) {
    branches[spec.branch] = await commitFiles({
      repoPath: originPath,
      branch: spec.branch,
      parent: mainCommit,
      files: spec.files,
      message: `Implement ${spec.workItemId}`,
    });
  }
  return { originPath, mainCommit, branches };
}

/**
 * Commits files onto a branch of a bare repository without a work tree and moves the branch to the
 * new commit. The parent defaults to the branch's current tip (none for a new branch).
 */
export async function commitFiles({
  repoPath,
  branch,
  files,
  message,
  parent,
}: {
  repoPath: string;
  branch: string;
  files: Record<string, string>;
  message: string;
  parent?: string;
}): Promise<string> {
  const base = parent ?? (await branchTip(repoPath, branch));
  const indexFile = path.join(repoPath, `fixture-index-${process.pid}-${Date.now()}-${Math.random()}`);
  const env = { ...FIXTURE_GIT_ENV, GIT_INDEX_FILE: indexFile };
  const run = async (args: string[], input?: string) =>
    (await execa('git', args, { cwd: repoPath, input, env, timeout: GIT_TIMEOUT_MS })).stdout.trim();

  try {
    await run(base ? ['read-tree', base] : ['read-tree', '--empty']);
    for (const [file, content] of Object.entries(files)) {
      const blob = await run(['hash-object', '-w', '--stdin'], content);
      await run(['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`]);
    }
    const tree = await run(['write-tree']);
    const commit = await run(['commit-tree', tree, ...(base ? ['-p', base] : []), '-m', message]);
    await run(['update-ref', `refs/heads/${branch}`, commit]);
    return commit;
  } finally {
    await rm(indexFile, { force: true });
  }
}

/** Returns the commit id a branch points to, or undefined when the branch does not exist. */
export async function branchTip(repoPath: string, branch: string): Promise<string | undefined> {
  const result = await execa('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`], {
    cwd: repoPath,
    env: FIXTURE_GIT_ENV,
    timeout: GIT_TIMEOUT_MS,
    reject: false,
  });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** Returns the bytes of a file at a revision of a repository, or undefined when it is absent. */
export async function readBlob(repoPath: string, revision: string, file: string): Promise<Buffer | undefined> {
  const result = await execa('git', ['cat-file', 'blob', `${revision}:${file}`], {
    cwd: repoPath,
    env: FIXTURE_GIT_ENV,
    timeout: GIT_TIMEOUT_MS,
    reject: false,
    encoding: 'buffer',
    stripFinalNewline: false,
  });
  return result.exitCode === 0 ? Buffer.from(result.stdout) : undefined;
}
