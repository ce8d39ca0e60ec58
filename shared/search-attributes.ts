/**
 * Custom search attributes that deploy workflows set, so the Temporal Web UI and `temporal workflow
 * list --query` can find a deploy by work item, project, phase and verdicts. Safe to import from
 * workflow code: it uses @temporalio/common only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Work item id such as `ORCH-65`. */
export const WorkItemIdKey = defineSearchAttributeKey('WorkItemId', SearchAttributeType.KEYWORD);
/** Project id such as `orchestrator`. */
export const DeployProjectKey = defineSearchAttributeKey('DeployProject', SearchAttributeType.KEYWORD);
/** Current workflow phase such as `staging`, `approval`, `deploying` or `finished`. */
export const DeployPhaseKey = defineSearchAttributeKey('DeployPhase', SearchAttributeType.KEYWORD);
/** Staging verdict: `SUCCESS` or `FAILED`, unset until the staging check has run. */
export const StagingStatusKey = defineSearchAttributeKey('StagingStatus', SearchAttributeType.KEYWORD);
/** Deploy verdict: `SUCCESS` or `FAILED`, unset until the deploy has finished. */
export const DeployStatusKey = defineSearchAttributeKey('DeployStatus', SearchAttributeType.KEYWORD);

/** Every custom search attribute key that the server must have registered. */
export const SEARCH_ATTRIBUTE_KEYS = [
  WorkItemIdKey,
  DeployProjectKey,
  DeployPhaseKey,
  StagingStatusKey,
  DeployStatusKey,
] as const;

/** Type names as `temporal server start-dev --search-attribute NAME=TYPE` spells them. */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** Names and CLI type names of the custom search attributes, e.g. `{ name: 'WorkItemId', cliType: 'Keyword' }`. */
export const SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: SearchAttributeType; cliType: string }> =
  SEARCH_ATTRIBUTE_KEYS.map((key) => ({ name: key.name, type: key.type, cliType: CLI_TYPE_NAMES[key.type] }));
