import { ApplicationFailure } from '@temporalio/activity';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../shared/failures.js';
import type { z } from 'zod';
import { describeValidationError } from '../shared/input.js';

/**
 * Builds an ApplicationFailure of one of the closed failure types. Retryability follows the type;
 * the original error is kept as `cause` and never pasted into the message.
 */
export function failure(type: FailureType, message: string, cause?: unknown, details?: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: NON_RETRYABLE_FAILURE_TYPES.includes(type),
    cause: cause instanceof Error ? cause : undefined,
    details,
  });
}

export { FailureType };

/** Validates a value with a zod schema; a failure is a non-retryable `InvalidInput` naming field, value and form. */
export function validated<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw failure(FailureType.InvalidInput, describeValidationError(result.error, value, what));
  }
  return result.data;
}
