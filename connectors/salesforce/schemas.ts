import { z } from 'zod';

/** What the connector reads from Salesforce, checked at the edge (unknown keys pass through untouched). */

export const errorBodySchema = z.array(
  z.looseObject({
    message: z.string().optional(),
    errorCode: z.string().optional(),
    fields: z.array(z.string()).optional(),
  }),
);

export const queryPageSchema = z.looseObject({
  totalSize: z.number(),
  done: z.boolean(),
  nextRecordsUrl: z.string().optional(),
  records: z.array(z.record(z.string(), z.unknown())),
});
export type QueryPage = z.infer<typeof queryPageSchema>;

export const describeSchema = z.looseObject({
  name: z.string(),
  fields: z.array(
    z.looseObject({
      name: z.string(),
      type: z.string(),
      custom: z.boolean(),
      calculated: z.boolean().optional(),
      calculatedFormula: z.string().nullable().optional(),
      /** On a component of a compound field (`BillingCity` → `BillingAddress`, `Loc__Latitude__s` → `Loc__c`). */
      compoundFieldName: z.string().nullable().optional(),
    }),
  ),
});
export type Describe = z.infer<typeof describeSchema>;

export const deletedSchema = z.looseObject({
  deletedRecords: z.array(z.looseObject({ id: z.string(), deletedDate: z.string() })),
  earliestDateAvailable: z.string(),
  latestDateCovered: z.string(),
});

export const bulkJobSchema = z.looseObject({
  id: z.string(),
  state: z.enum(['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted']),
  errorMessage: z.string().optional(),
  numberRecordsProcessed: z.number().optional(),
});

export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  instance_url: z.url(),
  id: z.url(),
  scope: z.string().optional(),
  token_type: z.string().optional(),
  issued_at: z.string().optional(),
});

export const oauthErrorSchema = z.looseObject({ error: z.string(), error_description: z.string().optional() });

export const userinfoSchema = z.looseObject({
  organization_id: z.string().regex(/^00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/),
  user_id: z.string(),
  preferred_username: z.string().optional(),
});
