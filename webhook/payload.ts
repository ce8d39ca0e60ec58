/** The parts of a Plane webhook body that the approval endpoint reads, validated with zod. */
import { z } from 'zod';

const idSchema = z.string().min(1).max(64);

/** The envelope of every Plane webhook. Other fields are allowed because Plane adds fields over time. */
export const envelopeSchema = z.object({
  event: z.string().min(1).max(64),
  action: z.string().min(1).max(64),
  data: z.unknown(),
  activity: z.unknown().optional(),
});

/** The work item in `data` of an `issue` event: its project, number and (expanded) current state. */
export const workItemDataSchema = z.object({
  id: idSchema,
  project: idSchema,
  sequence_id: z.number().int().positive().max(999_999_999),
  state: z.union([z.object({ id: idSchema, name: z.string().max(255) }), idSchema]).nullish(),
});

/** The change in `activity` of an update: the field, the new value and the user who made it. */
export const activitySchema = z.object({
  field: z.string().max(64).nullish(),
  new_value: z.unknown(),
  actor: z.object({
    id: idSchema,
    email: z.string().max(254).nullish(),
    display_name: z.string().max(255).nullish(),
  }),
});

/** Fields that Plane names in `activity.field` when a work item's state changes (API and web app). */
export const STATE_FIELDS = new Set(['state', 'state_id']);

export type WorkItemData = z.infer<typeof workItemDataSchema>;
export type Activity = z.infer<typeof activitySchema>;
