import { randomUUID } from 'node:crypto';
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { execa } from 'execa';
import { failure, FailureType } from './failure.js';

/** Timeout of git commands that talk to the remote (fetch, push, clone). */
const REMOTE_TIMEOUT_MS = 120_000;
/** Timeout of local plumbing commands. */
const LOCAL_TIMEOUT_MS = 30_000;

/**
 * Identity of the commits that deployer writes. Credentials for the remote come from the git setup
 * (ssh keys or credential helper) of the worker's user.
 */
const COMMITTER_ENV = {
  GIT_AUTHOR_NAME: 'deployer',
  GIT_AUTHOR_EMAIL: 'deployer@localhost',
  GIT_COMMITTER_NAME: 'deployer',
  GIT_COMMITTER_EMAIL: 'deployer@localhost',
  GIT_TERMINAL_PROMPT: '0',
};

interface GitCall {
  cwd: string;
  args: string[];
  input?: string;
  env?: Record<string, string>;
  remote?: boolean;
}

/** Runs git and returns its trimmed stdout. A non-zero exit raises a retryable GitFailed. */
export async function git(call: GitCall): Promise<string> {
  const result = await gitResult(call);
  if (result.exitCode !== 0) {
    throw failure(
      FailureType.GitFailed,
      `git ${call.args[0]} failed with exit code ${result.exitCode}: ${result.stderr.trim().slice(-500)}`,
    );
  }
  return result.stdout.trim();
}

/** Runs git and returns its exit code and output. A timeout, cancellation or missing git binary raises GitFailed. */
export async function gitResult({ cwd, args, input, env, remote = false }: GitCall) {
  try {
    const result = await execa('git', args, {
      cwd,
      input,
      env: { ...COMMITTER_ENV, ...env },
      timeout: remote ? REMOTE_TIMEOUT_MS : LOCAL_TIMEOUT_MS,
      cancelSignal: cancellationSignal(),
      reject: false,
    });
    if (result.timedOut || result.isCanceled || result.exitCode === undefined) {
      throw result;
    }
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    throw failure(
      FailureType.GitFailed,
      `git ${args[0]} did not complete (timed out, cancelled or could not start)`,
      error,
    );
  }
}

/** Returns the bytes of a file at a revision, or undefined when the revision has no such file. */
export async function readBlob(cwd: string, revision: string, file: string): Promise<Buffer | undefined> {
  try {
    const result = await execa('git', ['cat-file', 'blob', `${revision}:${file}`], {
      cwd,
      encoding: 'buffer',
      stripFinalNewline: false,
      timeout: LOCAL_TIMEOUT_MS,
      reject: false,
    });
    return result.exitCode === 0 ? Buffer.from(result.stdout) : undefined;
  } catch (error) {
    throw failure(FailureType.GitFailed, `git cat-file did not complete for ${revision}:${file}`, error);
  }
}

/** Returns the commit a ref points to, or undefined when it does not exist. */
export async function readRef(cwd: string, ref: string): Promise<string | undefined> {
  const result = await gitResult({ cwd, args: ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`] });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * Makes sure a bare mirror of `cloneUrl` exists at `dir`. Branches are fetched into
 * `refs/remotes/origin/*`, so the mirror never has a work tree to get out of step.
 */
export async function ensureMirror({ dir, cloneUrl }: { dir: string; cloneUrl: string }): Promise<void> {
  if (cloneUrl.startsWith('-')) {
    throw failure(
      FailureType.InvalidConfig,
      `invalid repository.cloneUrl ${JSON.stringify(cloneUrl)}: expected a URL or path, not an option`,
    );
  }
  const exists = await access(path.join(dir, 'HEAD')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await mkdir(dir, { recursive: true });
    await git({ cwd: dir, args: ['init', '--bare', '--quiet'] });
  }
}

/** Fetches the given branches of `cloneUrl` into `refs/remotes/origin/`, pruning deleted ones. */
export async function fetchBranches({
  dir,
  cloneUrl,
  refspecs,
}: {
  dir: string;
  cloneUrl: string;
  refspecs: string[];
}) {
  await git({
    cwd: dir,
    args: ['fetch', '--quiet', '--no-tags', '--prune', '--', cloneUrl, ...refspecs],
    remote: true,
  });
}

/**
 * Writes a commit that sets one file on top of `parent` without a work tree. The blob is hashed, the
 * parent's tree is read into a temporary index, the one path is updated and the tree is written, so
 * no other path changes and concurrent calls do not share an index.
 */
export async function commitOneFile({
  dir,
  parent,
  file,
  content,
  message,
}: {
  dir: string;
  parent: string;
  file: string;
  content: string;
  message: string;
}): Promise<string> {
  const indexFile = path.join(dir, `deployer-index-${randomUUID()}`);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    const blob = await git({ cwd: dir, args: ['hash-object', '-w', '--stdin'], input: content });
    await git({ cwd: dir, args: ['read-tree', parent], env });
    await git({ cwd: dir, args: ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], env });
    const tree = await git({ cwd: dir, args: ['write-tree'], env });
    return await git({ cwd: dir, args: ['commit-tree', tree, '-p', parent, '-F', '-'], input: message });
  } finally {
    await rm(indexFile, { force: true });
  }
}

/**
 * Pushes a commit to a branch only if the branch is still where it was seen (`expected`, or absent
 * when undefined), so a concurrent writer is never overwritten.
 */
export async function pushWithLease({
  dir,
  cloneUrl,
  commit,
  branch,
  expected,
}: {
  dir: string;
  cloneUrl: string;
  commit: string;
  branch: string;
  expected: string | undefined;
}): Promise<void> {
  const ref = `refs/heads/${branch}`;
  await git({
    cwd: dir,
    args: [
      'push',
      '--quiet',
      '--porcelain',
      `--force-with-lease=${ref}:${expected ?? ''}`,
      '--',
      cloneUrl,
      `${commit}:${ref}`,
    ],
    remote: true,
  });
}

const locks = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task for the same key in this process has finished. */
export async function withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const current = previous.then(task, task);
  const settled = current.then(
    () => undefined,
    () => undefined,
  );
  locks.set(key, settled);
  try {
    return await current;
  } finally {
    if (locks.get(key) === settled) {
      locks.delete(key);
    }
  }
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
