import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '@temporalio/activity';
import { projectIdSchema, workItemIdSchema } from '../shared/ids.js';
import { VERDICT_FILES } from '../verdict/gate.js';
import { renderVerdict } from '../verdict/render.js';
import type { ActivityDeps } from './context.js';
import { validated } from './failure.js';
import type { PublishVerdictRequest, PublishVerdictResult, RecordVerdictRequest } from './types.js';

type Publish = (request: PublishVerdictRequest) => Promise<PublishVerdictResult>;

/**
 * Builds `recordVerdict`: renders the verdict with gray-matter, keeps a local copy (written to a temp
 * file, then renamed) under the state folder, and publishes it to the main branch through the forge.
 */
export function createVerdictRecordActivities(deps: ActivityDeps, publish: Publish) {
  return {
    async recordVerdict(request: RecordVerdictRequest): Promise<PublishVerdictResult> {
      validated(projectIdSchema, request.projectId, 'projectId');
      validated(workItemIdSchema, request.workItemId, 'workItemId');
      const content = renderVerdict(request.kind, request.fields, request.body);
      const localFile = await writeLocalCopy({
        stateDir: deps.config.stateDir,
        projectId: request.projectId,
        workItemId: request.workItemId,
        fileName: VERDICT_FILES[request.kind].fileName,
        content,
      });
      const result = await publish({
        projectId: request.projectId,
        workItemId: request.workItemId,
        kind: request.kind,
        content,
        workflowId: request.workflowId,
      });
      log.info('verdict recorded', {
        projectId: request.projectId,
        workItemId: request.workItemId,
        kind: request.kind,
        localFile,
        mainCommit: result.mainCommit,
        alreadyOnMain: result.alreadyOnMain,
      });
      return result;
    },
  };
}

async function writeLocalCopy(options: {
  stateDir: string;
  projectId: string;
  workItemId: string;
  fileName: string;
  content: string;
}): Promise<string> {
  const folder = path.join(options.stateDir, 'verdicts', options.projectId, options.workItemId);
  await mkdir(folder, { recursive: true });
  const target = path.join(folder, options.fileName);
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, options.content, { encoding: 'utf8', flag: 'wx' });
  await rename(temporary, target);
  return target;
}
