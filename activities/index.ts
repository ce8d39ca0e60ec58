import type { ActivityDeps } from './context.js';
import { createForgeActivities } from './forge.js';
import { createHostActivities } from './host.js';
import { createMergeActivities } from './merge.js';
import { createPrepareActivities } from './prepare.js';
import { createStagingActivities } from './staging.js';
import { createTrackerActivities } from './tracker.js';
import { createVerdictActivities } from './verdict-publish.js';
import { createVerdictRecordActivities } from './verdict-record.js';
import type { DeployActivities } from './types.js';

/** Builds every activity the deploy workflow calls, each module receiving the same dependencies. */
export function createActivities(deps: ActivityDeps): DeployActivities {
  const forge = createForgeActivities(deps);
  const { publishVerdict } = createVerdictActivities(deps);
  const host = createHostActivities(deps);
  return {
    ...createPrepareActivities(deps),
    ...createStagingActivities(deps),
    ...createVerdictRecordActivities(deps, publishVerdict),
    ...createMergeActivities(forge),
    ...createTrackerActivities(deps),
    runHook: host.runHook,
    launchHook: host.launchHook,
    awaitHookExit: host.awaitHookExit,
  };
}

export type { DeployActivities } from './types.js';
