/**
 * The closed set of failure types that activities raise. Permanent faults are non-retryable,
 * transient ones retry with backoff.
 */
export const FailureType = {
  /** A workflow input, signal payload or request body failed validation. Permanent. */
  InvalidInput: 'InvalidInput',
  /** The configuration file or a setting derived from it is invalid. Permanent. */
  InvalidConfig: 'InvalidConfig',
  /** A secret named in the configuration is not set. Permanent until an operator sets it. */
  MissingSecret: 'MissingSecret',
  /** The forge refused a request in a way that retrying cannot fix (401, 403, 404, 422). Permanent. */
  ForgeRejected: 'ForgeRejected',
  /** The forge was unreachable, timed out or returned 5xx or "try again later". Transient. */
  ForgeUnavailable: 'ForgeUnavailable',
  /** The tracker was unreachable, timed out or returned 5xx. Transient. */
  TrackerUnavailable: 'TrackerUnavailable',
  /** The tracker refused a request (unknown work item or state). Permanent. */
  TrackerRejected: 'TrackerRejected',
  /** A git command failed. Transient. */
  GitFailed: 'GitFailed',
  /** The deploy host could not be reached (ssh exit 255, connect timeout). Transient. */
  HostUnreachable: 'HostUnreachable',
  /** The launcher on the deploy host reported an error. Transient. */
  LauncherFailed: 'LauncherFailed',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failure types that never succeed on retry. */
export const NON_RETRYABLE_FAILURE_TYPES: readonly FailureType[] = [
  FailureType.InvalidInput,
  FailureType.InvalidConfig,
  FailureType.MissingSecret,
  FailureType.ForgeRejected,
  FailureType.TrackerRejected,
];
