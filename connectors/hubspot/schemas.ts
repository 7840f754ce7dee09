import { z } from 'zod';

/**
 * HubSpot's response shapes, checked at the edge. Envelopes (pages, batches) are checked as a whole: a wrong
 * envelope fails the request. Records are checked one by one (`ObjectRecord`), so one malformed record is
 * reported and the rest of its page still syncs. Unknown fields pass through; documented optional ones are optional.
 */

const isoTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'an ISO-8601 time');

/**
 * A field HubSpot's published models (the OpenAPI files, and the SDK's generated models from them) mark optional:
 * it may be missing or `null` on the wire (a record read as `"archivedAt": null`); either way it reads as absent.
 */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === null ? undefined : v), schema.optional());

export const Paging = optional(
  z.object({ next: optional(z.object({ after: z.string(), link: optional(z.string()) })) }),
);

/** Inline associations of a v3 record: `{ results: [{ id, type }], paging? }` per associated type. */
const InlineAssociations = z.record(
  z.string(),
  z.object({ results: z.array(z.object({ id: z.string(), type: z.string() })), paging: Paging }),
);

/** `ValueWithTimestamp`: `sourceId`, `sourceLabel` and `updatedByUserId` are optional (null on the wire too). */
const HistoryEntry = z.object({
  value: z.string().nullable().optional(),
  timestamp: isoTime,
  sourceType: optional(z.string()),
  sourceId: optional(z.string()),
  sourceLabel: optional(z.string()),
  updatedByUserId: optional(z.number()),
});

export const ObjectRecord = z.object({
  id: z.string().regex(/^\d+$/, 'a numeric id'),
  properties: z.record(z.string(), z.string().nullable()),
  propertiesWithHistory: optional(z.record(z.string(), z.array(HistoryEntry))),
  associations: optional(InlineAssociations),
  createdAt: isoTime,
  updatedAt: isoTime,
  archived: optional(z.boolean()),
  archivedAt: optional(isoTime),
});
export type ObjectRecord = z.infer<typeof ObjectRecord>;

/** A list page: the records stay unchecked here (each is checked on its own). */
export const ListPage = z.object({ results: z.array(z.unknown()), paging: Paging });
export type ListPage = z.infer<typeof ListPage>;

export const SearchPage = z.object({
  total: z.number(),
  results: z.array(z.object({ id: z.string(), properties: z.record(z.string(), z.string().nullable()) }).passthrough()),
  paging: Paging,
});
export type SearchPage = z.infer<typeof SearchPage>;

const StandardError = z
  .object({ status: z.string().optional(), category: z.string().optional(), message: z.string().optional() })
  .passthrough();

/** One failed input of a batch (`StandardError`): `context` names the inputs (`ids`, `objectWriteTraceId`, `name`). */
export const BatchError = z
  .object({
    status: z.string().optional(),
    category: z.string().optional(),
    subCategory: z.string().optional(),
    message: z.string().optional(),
    context: z.record(z.string(), z.array(z.string())).optional(),
    errors: z
      .array(
        z
          .object({
            message: z.string().optional(),
            code: z.string().optional(),
            context: z.record(z.string(), z.array(z.string())).optional(),
          })
          .passthrough(),
      )
      .optional(),
  })
  .passthrough();
export type BatchError = z.infer<typeof BatchError>;

/** A batch create/update/upsert answer (200, 201 or 207): each written record, and the inputs that failed. */
export const BatchWrite = z.object({
  status: z.string().optional(),
  results: z.array(
    z
      .object({
        id: z.string(),
        properties: z.record(z.string(), z.string().nullable()).optional(),
        new: z.boolean().optional(),
        objectWriteTraceId: z.string().optional(),
      })
      .passthrough(),
  ),
  errors: z.array(BatchError).optional(),
});
export type BatchWrite = z.infer<typeof BatchWrite>;

/** A property batch create answer: the definitions made, and the inputs that failed (409 for a name that exists). */
export const PropertyBatch = z.object({
  results: z.array(z.unknown()),
  errors: z.array(BatchError).optional(),
});
export type PropertyBatch = z.infer<typeof PropertyBatch>;

export const PropertyGroup = z.object({ name: z.string(), label: z.string() }).passthrough();

export const BatchRead = z.object({
  status: z.string().optional(),
  results: z.array(z.unknown()),
  errors: z.array(StandardError).optional(),
  numErrors: z.number().optional(),
});

export const AssociationBatchRead = z.object({
  status: z.string().optional(),
  results: z.array(
    z.object({
      from: z.object({ id: z.string() }),
      to: z.array(
        z.object({
          toObjectId: z.union([z.number(), z.string()]).transform(String),
          associationTypes: z.array(
            z.object({ category: z.string(), typeId: z.number(), label: z.string().nullable().optional() }),
          ),
        }),
      ),
      paging: Paging,
    }),
  ),
  errors: z.array(StandardError).optional(),
});
export type AssociationBatchRead = z.infer<typeof AssociationBatchRead>;

export const AssociationPage = z.object({
  results: z.array(
    z.object({
      toObjectId: z.union([z.number(), z.string()]).transform(String),
      associationTypes: z.array(
        z.object({ category: z.string(), typeId: z.number(), label: z.string().nullable().optional() }),
      ),
    }),
  ),
  paging: Paging,
});

/** `PublicOwner`: email, names, userId and teams are optional in HubSpot's model (null for a team or queue owner). */
export const Owner = z.object({
  id: z.string(),
  email: z.string().nullable().optional(),
  firstName: z.string().nullable().optional(),
  lastName: z.string().nullable().optional(),
  userId: z.number().nullable().optional(),
  createdAt: optional(isoTime),
  updatedAt: optional(isoTime),
  archived: optional(z.boolean()),
});
export const OwnersPage = z.object({ results: z.array(z.unknown()), paging: Paging });

export const Property = z.object({
  name: z.string(),
  label: z.string(),
  description: optional(z.string()),
  type: z.string(),
  fieldType: optional(z.string()),
  groupName: optional(z.string()),
  options: optional(
    z.array(
      z.object({
        label: z.string(),
        value: z.string(),
        hidden: optional(z.boolean()),
        displayOrder: optional(z.number()),
        description: optional(z.string()),
      }),
    ),
  ),
  calculated: optional(z.boolean()),
  hasUniqueValue: optional(z.boolean()),
  hubspotDefined: optional(z.boolean()),
  archived: optional(z.boolean()),
  modificationMetadata: optional(z.object({ readOnlyValue: optional(z.boolean()) }).passthrough()),
});
export type Property = z.infer<typeof Property>;
export const PropertiesPage = z.object({ results: z.array(Property) });

export const Pipelines = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      archived: optional(z.boolean()),
      archivedAt: optional(isoTime),
      stages: z.array(
        z.object({
          id: z.string(),
          label: z.string(),
          archived: optional(z.boolean()),
          archivedAt: optional(isoTime),
          metadata: z.object({ isClosed: optional(z.string()), probability: optional(z.string()) }).passthrough(),
        }),
      ),
    }),
  ),
});
export type Pipelines = z.infer<typeof Pipelines>;

export const AccountDetails = z.object({ portalId: z.number() }).passthrough();
export const AccessTokenInfo = z.object({ hub_id: z.number(), hub_domain: z.string().optional() }).passthrough();

export const TokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  expires_in: z.number().optional(),
  scopes: z.array(z.string()).optional(),
});

/** HubSpot's error body: every field optional (429s, OAuth errors and API errors all differ). */
export const ErrorBody = z
  .object({
    status: z.string().optional(),
    message: z.string().optional(),
    category: z.string().optional(),
    subCategory: z.string().optional(),
    errorType: z.string().optional(),
    policyName: z.string().optional(),
    correlationId: z.string().optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
  })
  .passthrough();
export type ErrorBody = z.infer<typeof ErrorBody>;

/** One line naming what is wrong with a value that failed a schema. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`)
    .join('; ');
}

/**
 * `GET /account-info/v3/details` (HubSpot's PortalInformationResponse, Account_Account_Info-v3 in the published
 * OpenAPI files; developers.hubspot.com/docs/api-reference/settings-account-information-v3): only the currency
 * fields are read.
 */
export const AccountCurrency = z.object({
  companyCurrency: z.string().regex(/^[A-Za-z]{3}$/),
  additionalCurrencies: z.array(z.string()).nullish(),
});
