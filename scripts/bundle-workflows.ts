/**
 * `npm run bundle`: writes the workflow code as one prebuilt bundle, dist/workflow-bundle.js. A
 * worker loads it when present instead of bundling at start-up (set DEPLOYER_BUNDLE_FROM_SOURCE=1
 * to bundle from source anyway), and building it in CI proves that the workflow code bundles.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const BUNDLE_PATH = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  await mkdir(path.dirname(BUNDLE_PATH), { recursive: true });
  await writeFile(BUNDLE_PATH, code);
  console.log(`wrote ${path.relative(process.cwd(), BUNDLE_PATH)} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((error: unknown) => {
  console.error(`bundle-workflows: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
