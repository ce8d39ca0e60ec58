/** Plane look-ups for the webhook: project identifiers and state names, cached because they rarely change. */
import { getProjectIdentifier, listStates, type PlaneConnection } from '../activities/plane-client.js';

/** Cached Plane look-ups; a failed look-up is not cached, so the next delivery requests it again. */
export function createPlaneLookup(plane: PlaneConnection) {
  const identifiers = new Map<string, string>();
  const stateNames = new Map<string, string>();
  return {
    async projectIdentifier(projectId: string): Promise<string> {
      const known = identifiers.get(projectId);
      if (known !== undefined) return known;
      const identifier = await getProjectIdentifier(plane, projectId);
      identifiers.set(projectId, identifier);
      return identifier;
    },

    async stateName(projectId: string, stateId: string): Promise<string | undefined> {
      const key = `${projectId}/${stateId}`;
      if (!stateNames.has(key)) {
        for (const state of await listStates(plane, projectId)) stateNames.set(`${projectId}/${state.id}`, state.name);
      }
      return stateNames.get(key);
    },
  };
}
