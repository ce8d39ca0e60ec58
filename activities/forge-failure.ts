import { ApplicationFailure } from '@temporalio/activity';
import { ValidationError } from '../shared/input.js';
import { failure, FailureType } from './failure.js';
import { GiteaHttpError, GiteaTransportError } from './gitea-client.js';

/** Runs a forge call and turns client errors into failures of the closed set. */
export async function guard<T>(call: () => Promise<T>, action: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw forgeFailure(error, action);
  }
}

/**
 * Maps a client error to a failure. Statuses 401, 403, 404, 422 and other 4xx are permanent, while 5xx,
 * 408, 429, timeouts and malformed responses retry.
 */
export function forgeFailure(error: unknown, action: string) {
  if (error instanceof GiteaHttpError) {
    const transient = error.status >= 500 || error.status === 429 || error.status === 408;
    const hint = transient
      ? 'the forge is unavailable, retrying'
      : 'check the token, its permissions and the repository in the config';
    return failure(
      transient ? FailureType.ForgeUnavailable : FailureType.ForgeRejected,
      `${action} failed: ${error.message}; ${hint}`,
      error,
    );
  }
  if (error instanceof GiteaTransportError) {
    return failure(FailureType.ForgeUnavailable, `${action} failed: ${error.message}`, error);
  }
  if (error instanceof ValidationError) {
    return failure(FailureType.MissingSecret, error.message, error);
  }
  if (error instanceof ApplicationFailure) {
    return error;
  }
  return failure(FailureType.ForgeUnavailable, `${action} failed unexpectedly`, error);
}
