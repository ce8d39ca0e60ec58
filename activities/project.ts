import type { Config, ProjectConfig } from '../shared/config.js';
import { failure, FailureType } from './failure.js';

/**
 * Looks up a project in the config. An unknown id is non-retryable `InvalidInput`, and only the
 * config's own keys count, so an id such as `constructor` never reaches Object.prototype.
 */
export function projectOf(config: Config, projectId: string): ProjectConfig {
  const project = Object.hasOwn(config.projects, projectId) ? config.projects[projectId] : undefined;
  if (!project) {
    const known = Object.keys(config.projects).join(', ') || 'none';
    throw failure(FailureType.InvalidInput, `project ${JSON.stringify(projectId)} is not configured: expected one of ${known}`);
  }
  return project;
}
