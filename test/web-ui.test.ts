/**
 * Opens a finished deploy in the Temporal Web UI with headless Chromium and checks that the page
 * shows the work item, the step summaries and the verdict without opening payloads.
 * Set UPDATE_SCREENSHOT=1 to write the screenshots to docs/web-ui.png and docs/web-ui-details.png;
 * otherwise they go to a temp folder.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { awaitResult, workflowLink } from '../client/deploys.js';
import { approveSignal } from '../workflows/messages.js';
import { startWorkItem, waitForPhase } from './support/deploy-runs.js';
import { startDevServer, type DevServer } from './support/dev-server.js';
import type { Sandbox } from './support/sandbox.js';
import { startWorkerSandbox, type WorkerSandbox } from './support/workers.js';

const CHROMIUM = '/usr/bin/chromium';
const WORK_ITEM = 'ORCH-801';
const DOCS_DIR = fileURLToPath(new URL('../docs/', import.meta.url));
const PAGE_TIMEOUT_MS = 60_000;

let server: DevServer | undefined;
let setup: WorkerSandbox;
let sandbox: Sandbox;
let client: Client;
let browser: Browser;

/** Returns the server that `npm test` started when it has a UI, else starts a dev server with the UI. */
async function serverWithUi(): Promise<{ address: string; uiUrl: string }> {
  const { TEMPORAL_ADDRESS: address, TEMPORAL_UI_URL: uiUrl } = process.env;
  if (address && uiUrl) return { address, uiUrl };
  server = await startDevServer({ headless: false });
  return { address: server.address, uiUrl: server.uiUrl! };
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the Debian package chromium`);
  const { address, uiUrl } = await serverWithUi();
  setup = await startWorkerSandbox({
    tmpPrefix: 'deployer-ui-',
    workItems: [{ id: WORK_ITEM }],
    temporalAddress: address,
    uiUrl,
    taskQueue: `ui-${process.pid}`,
  });
  ({ sandbox, client } = setup);
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
  await setup.close();
  await server?.stop();
});

/** Runs one self-deploy to SUCCESS, approved by alice once the approval is pending. */
async function finishedDeploy(): Promise<string> {
  const { workflowId } = await startWorkItem({ client, sandbox, workItemId: WORK_ITEM });
  await waitForPhase({ client, workflowId, phase: 'awaiting-approval' });
  await client.workflow.getHandle(workflowId).signal(approveSignal, { approver: 'alice', comment: 'staging looks good' });
  const result = await awaitResult(client, workflowId);
  assert.equal(result.deployStatus, 'SUCCESS');
  return workflowId;
}

/** Returns the rendered text of the page and of its frames, because the UI renders markdown in iframes. */
async function pageText(page: Page): Promise<string> {
  const texts = await Promise.all(page.frames().map((frame) => frame.locator('body').innerText().catch(() => '')));
  return texts.join('\n');
}

/** Waits until the rendered text of the page or one of its frames contains `text`. */
async function waitForText(page: Page, text: string): Promise<void> {
  const deadline = Date.now() + PAGE_TIMEOUT_MS;
  while (!(await pageText(page)).includes(text)) {
    if (Date.now() > deadline) assert.fail(`the page did not show ${JSON.stringify(text)} within ${PAGE_TIMEOUT_MS} ms`);
    await page.waitForTimeout(250);
  }
}

function screenshotPath(name: string): string {
  return process.env.UPDATE_SCREENSHOT ? path.join(DOCS_DIR, name) : path.join(sandbox.dir, name);
}

test('web UI shows the deploy story', async () => {
  const workflowId = await finishedDeploy();
  const page = await browser.newPage({ viewport: { width: 1440, height: 1200 } });
  await page.goto(workflowLink(sandbox.config, workflowId));
  await waitForText(page, 'write 14-deploy-log.md: SUCCESS');
  const timeline = await pageText(page);
  await page.screenshot({ path: screenshotPath('web-ui.png'), fullPage: true });

  assert.match(timeline, new RegExp(`deploy-orchestrator-${WORK_ITEM}`));
  assert.match(timeline, /runStagingCheck • staging check against http:\/\/localhost:8501/);
  assert.match(timeline, /recordVerdict • write 15-staging-log\.md: SUCCESS/);
  assert.match(timeline, /approval deadline \d{4}-\d\d-\d\dT/);
  assert.match(timeline, /launchHook • launch deploy hook detached on production/);
  assert.match(timeline, /awaitHookExit • wait for hook exit code/);
  assert.match(timeline, /"deployStatus": "SUCCESS"/);

  await page.getByText('User Metadata', { exact: true }).click();
  await waitForText(page, 'approved by alice');
  const metadata = await pageText(page);
  await page.screenshot({ path: screenshotPath('web-ui-details.png'), fullPage: true });

  assert.match(metadata, new RegExp(`Deploy ${WORK_ITEM} \\(orchestrator\\) from feature/${WORK_ITEM}`));
  assert.match(metadata, /Requested by carol, self-hosting: needs approval/);
  assert.match(metadata, /finished: staging SUCCESS, deploy SUCCESS, approved by alice, hook exit code 0/);
});
