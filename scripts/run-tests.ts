/**
 * `npm test`: starts one in-memory Temporal dev server, runs the node:test files one at a time
 * against it (TEMPORAL_ADDRESS and TEMPORAL_UI_URL in the environment), stops the server and exits
 * with the test runner's code. Arguments that start with "-" go to `node --test`; other arguments
 * replace the default file list, every `*.test.ts` under test/.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startDevServer } from '../test/support/dev-server.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_RUN_TIMEOUT_MS = 30 * 60_000;

/** Lists every `*.test.ts` file under `dir`, sorted, as paths relative to the repository root. */
function findTestFiles(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(path.sep).includes('node_modules'))
    .sort();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const nodeTestFlags = args.filter((arg) => arg.startsWith('-'));
  const requestedFiles = args.filter((arg) => !arg.startsWith('-'));
  const files = requestedFiles.length > 0 ? requestedFiles : findTestFiles(path.join(REPO_ROOT, 'test'));
  if (files.length === 0) throw new Error('no test files found: expected *.test.ts files under test/');

  const server = await startDevServer();
  console.log(`Tests use the Temporal dev server at ${server.address} (Web UI ${server.uiUrl ?? 'disabled'})`);
  const run = execa(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...nodeTestFlags, ...files], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    reject: false,
    timeout: TEST_RUN_TIMEOUT_MS,
    env: {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_UI_URL: server.uiUrl ?? '',
      DEPLOYER_LOG_LEVEL: process.env.DEPLOYER_LOG_LEVEL ?? 'WARN',
    },
  });
  const interrupt = () => run.kill('SIGTERM');
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const result = await run;
  await server.stop();
  if (result.timedOut) console.error(`The test run timed out after ${TEST_RUN_TIMEOUT_MS / 60_000} minutes.`);
  process.exitCode = result.exitCode ?? 1;
}

main().catch((error: unknown) => {
  console.error(`npm test: ${(error as Error).message}`);
  process.exitCode = 1;
});
