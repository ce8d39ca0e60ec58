import type { Config, ProjectConfig } from '../shared/config.js';
import { failure, FailureType } from './failure.js';

/** Looks up a project in the config; an unknown id is a permanent config fault. */
export function projectOf(config: Config, projectId: string): ProjectConfig {
  const project = config.projects[projectId];
  if (!project) {
    const known = Object.keys(config.projects).join(', ') || 'none';
    throw failure(FailureType.InvalidConfig, `project ${JSON.stringify(projectId)} is not configured (configured: ${known})`);
  }
  return project;
}
