import { z } from 'zod';
import {
  branchSchema,
  identitySchema,
  imageReferenceSchema,
  projectIdSchema,
  shorten,
  workItemIdSchema,
} from './ids.js';
import { MAX_DECISION_TEXT } from './patterns.js';

/** Options that change how one deploy runs. */
export const deployOptionsSchema = z
  .object({
    strictStaging: z.boolean().default(false),
    approvalTimeoutHours: z
      .number()
      .positive('expected a positive number of hours')
      .max(24 * 30, 'expected at most 720 hours')
      .optional(),
    redeploy: z.boolean().default(false),
  })
  .strict();

/** The input of the `deployWorkItem` workflow. It carries no secrets. */
export const deployInputSchema = z
  .object({
    projectId: projectIdSchema,
    workItemId: workItemIdSchema,
    featureBranch: branchSchema,
    pullRequestNumber: z.number().int().positive('expected a positive pull request number').optional(),
    imageReference: imageReferenceSchema,
    requestedBy: identitySchema,
    options: deployOptionsSchema.default({ strictStaging: false, redeploy: false }),
  })
  .strict();

export type DeployInput = z.infer<typeof deployInputSchema>;
export type DeployInputDraft = z.input<typeof deployInputSchema>;

/** Payload of the `approve` signal. */
export const approvePayloadSchema = z
  .object({
    approver: identitySchema,
    comment: z.string().max(MAX_DECISION_TEXT, `expected at most ${MAX_DECISION_TEXT} characters`).optional(),
  })
  .strict();

/** Payload of the `reject` signal. */
export const rejectPayloadSchema = z
  .object({
    approver: identitySchema,
    reason: z.string().min(1, 'expected a reason').max(MAX_DECISION_TEXT, `expected at most ${MAX_DECISION_TEXT} characters`),
  })
  .strict();

/** Formats a zod error as one line per problem: the field, the value (shortened) and the expected form. */
export function describeValidationError(error: z.ZodError, value: unknown, what = 'input'): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : what;
    const actual = issue.path.reduce<unknown>(
      (current, key) => (current !== null && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined),
      value,
    );
    const shown = actual === undefined ? 'missing' : shorten(actual);
    return `${field}: ${shown} is invalid: ${issue.message}`;
  });
  return `invalid ${what}: ${lines.join('; ')}`;
}

/** Parses with a schema and throws an Error whose message names each field, value and expected form. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(describeValidationError(result.error, value, what));
  }
  return result.data;
}

/** Raised when input, a payload or a config file fails validation. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}
