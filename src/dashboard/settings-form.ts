import type { CrmName } from '../domain/records.js';
import { type TenantSettings, tenantSettingsSchema } from '../domain/tenant-settings.js';

/** The settings form's fields as the admin typed them (text), so a refused form comes back as it was sent. */
export interface SettingsFormValues {
  incremental: string;
  full: string;
  timezone: string;
  fields: boolean;
  tasks: boolean;
  triggers: boolean;
  dryRun: boolean;
  minProbabilityChange: string;
  probabilityBands: string;
  scoreHoldWithin: string;
  retrainHoldPoints: string;
  minReasonPoints: string;
  keepCrmEdits: string;
  staleTasks: string;
  /** Salesforce only: the share of the org's daily API allocation, in per cent. */
  apiShare: string;
  /** The control group's share of records, in per cent (0–50). */
  holdoutShare: string;
}

export type SettingsFormField = keyof SettingsFormValues;
export type SettingsFormErrors = Partial<Record<SettingsFormField, string>>;

/** The stored settings a form sets (the connectors' other settings are not on the form). */
export type SettingsFormChanges = Pick<
  TenantSettings,
  'schedule' | 'timezone' | 'outputs' | 'dryRun' | 'writeback' | 'holdoutShare'
> & {
  salesforce?: Pick<TenantSettings['salesforce'], 'apiShare'>;
};

/** What each field is called on the page, and what to enter when a value is refused: plain words, no schema text. */
export const SETTINGS_FORM_MESSAGES: Partial<Record<SettingsFormField, string>> = {
  incremental: 'Incremental schedule: enter a cron expression such as 0 * * * * (every hour)',
  full: 'Full run schedule: enter a cron expression such as 30 2 * * * (02:30 every day)',
  timezone: 'Time zone: enter an IANA time zone such as Europe/Berlin or UTC',
  minProbabilityChange: 'Probability move: enter a number from 0 to 100 (points)',
  probabilityBands: 'Band edges: enter numbers from 0 to 100 (points), separated by commas',
  scoreHoldWithin: 'Hold band: enter a number from 0 to 10 (standard errors)',
  retrainHoldPoints: 'Retrain hold: enter a number of points from 0 to 100',
  minReasonPoints: 'Reasons: enter a number from 0 to 50 (points)',
  staleTasks: 'Untouched tasks: choose removed or set to Deferred',
  apiShare: 'API share: enter a number from 1 to 50 (%)',
  holdoutShare: 'Holdout share: enter a number from 0 to 50 (%)',
};

/** The form's values for the settings in force. */
export function formValuesOf(s: TenantSettings): SettingsFormValues {
  return {
    incremental: s.schedule.incremental,
    full: s.schedule.full,
    timezone: s.timezone,
    fields: s.outputs.fields,
    tasks: s.outputs.tasks,
    triggers: s.outputs.triggers,
    dryRun: s.dryRun,
    minProbabilityChange: String(s.writeback.minProbabilityChange),
    probabilityBands: s.writeback.probabilityBands.join(', '),
    scoreHoldWithin: String(s.writeback.scoreHoldWithin),
    retrainHoldPoints: String(s.writeback.retrainHoldPoints),
    minReasonPoints: String(s.writeback.minReasonPoints),
    keepCrmEdits: s.writeback.keepCrmEdits.join(', '),
    staleTasks: s.writeback.staleTasks,
    // Whole per cent, as the control steps; 0.125 shows as 13.
    apiShare: String(Math.round(s.salesforce.apiShare * 1000) / 10),
    holdoutShare: String(Math.round(s.holdoutShare * 1000) / 10),
  };
}

/**
 * The settings a posted form asks for, on top of the settings in force (`current`): each field checked by the tenant
 * settings schema, a refused one reported in words under its name. A field the form leaves out (an older page; the
 * API share on a HubSpot tenant) keeps its current value. `changes`, the settings the form sets, is null when
 * anything was refused.
 */
export function readSettingsForm(
  form: Record<string, string | undefined>,
  current: TenantSettings,
  crm: CrmName,
): { values: SettingsFormValues; errors: SettingsFormErrors; changes: SettingsFormChanges | null } {
  const was = formValuesOf(current);
  const text = (name: SettingsFormField, fallback: string) =>
    form[name] === undefined ? fallback : String(form[name]);
  const values: SettingsFormValues = {
    incremental: text('incremental', was.incremental),
    full: text('full', was.full),
    timezone: text('timezone', was.timezone),
    fields: form.fields === 'on',
    tasks: form.tasks === 'on',
    triggers: form.triggers === 'on',
    dryRun: form.dryRun === 'on',
    minProbabilityChange: text('minProbabilityChange', was.minProbabilityChange),
    probabilityBands: text('probabilityBands', was.probabilityBands),
    scoreHoldWithin: text('scoreHoldWithin', was.scoreHoldWithin),
    retrainHoldPoints: text('retrainHoldPoints', was.retrainHoldPoints),
    minReasonPoints: text('minReasonPoints', was.minReasonPoints),
    keepCrmEdits: text('keepCrmEdits', was.keepCrmEdits),
    staleTasks: text('staleTasks', was.staleTasks),
    apiShare: crm === 'salesforce' ? text('apiShare', was.apiShare) : was.apiShare,
    holdoutShare: text('holdoutShare', was.holdoutShare),
  };
  const errors: SettingsFormErrors = {};
  const shape = tenantSettingsSchema.shape;
  /** The value if the schema takes it, else undefined and the field's message. */
  const check = <T>(
    name: SettingsFormField,
    schema: { safeParse(v: unknown): { success: boolean; data?: T } },
    v: unknown,
  ) => {
    const parsed = schema.safeParse(v);
    if (parsed.success) return parsed.data as T;
    errors[name] = SETTINGS_FORM_MESSAGES[name] ?? `${name}: enter a valid value`;
    return undefined;
  };
  const incremental = check<string>('incremental', shape.schedule.shape.incremental, values.incremental);
  const full = check<string>('full', shape.schedule.shape.full, values.full);
  const timezone = check<string>('timezone', shape.timezone, values.timezone);
  const minProbabilityChange = check<number>(
    'minProbabilityChange',
    shape.writeback.shape.minProbabilityChange,
    numberOf(values.minProbabilityChange),
  );
  const probabilityBands = check<number[]>(
    'probabilityBands',
    shape.writeback.shape.probabilityBands,
    listOf(values.probabilityBands).map(numberOf),
  );
  const scoreHoldWithin = check<number>(
    'scoreHoldWithin',
    shape.writeback.shape.scoreHoldWithin,
    numberOf(values.scoreHoldWithin),
  );
  const retrainHoldPoints = check<number>(
    'retrainHoldPoints',
    shape.writeback.shape.retrainHoldPoints,
    numberOf(values.retrainHoldPoints),
  );
  const minReasonPoints = check<number>(
    'minReasonPoints',
    shape.writeback.shape.minReasonPoints,
    numberOf(values.minReasonPoints),
  );
  const keepCrmEdits = check<string[]>('keepCrmEdits', shape.writeback.shape.keepCrmEdits, listOf(values.keepCrmEdits));
  const staleTasks = check<TenantSettings['writeback']['staleTasks']>(
    'staleTasks',
    shape.writeback.shape.staleTasks,
    values.staleTasks,
  );
  const percent = numberOf(values.apiShare);
  const apiShare = check<number>(
    'apiShare',
    shape.salesforce.shape.apiShare,
    // Whole or decimal per cent; rounded to a tenth of a per cent so 12.5 stays 0.125, not 0.12500000000000003.
    Number.isFinite(percent) ? Math.round(percent * 10) / 1000 : Number.NaN,
  );
  const holdoutPercent = numberOf(values.holdoutShare);
  const holdoutShare = check<number>(
    'holdoutShare',
    shape.holdoutShare,
    Number.isFinite(holdoutPercent) ? Math.round(holdoutPercent * 10) / 1000 : Number.NaN,
  );
  if (
    holdoutShare === undefined ||
    incremental === undefined ||
    full === undefined ||
    timezone === undefined ||
    minProbabilityChange === undefined ||
    probabilityBands === undefined ||
    scoreHoldWithin === undefined ||
    retrainHoldPoints === undefined ||
    minReasonPoints === undefined ||
    keepCrmEdits === undefined ||
    staleTasks === undefined ||
    apiShare === undefined
  ) {
    return { values, errors, changes: null };
  }
  const changes: SettingsFormChanges = {
    schedule: { incremental, full },
    timezone,
    outputs: { fields: values.fields, tasks: values.tasks, triggers: values.triggers },
    dryRun: values.dryRun,
    writeback: {
      minProbabilityChange,
      probabilityBands,
      scoreHoldWithin,
      retrainHoldPoints,
      minReasonPoints,
      keepCrmEdits,
      staleTasks,
    },
    holdoutShare,
  };
  if (crm === 'salesforce') changes.salesforce = { apiShare };
  return { values, errors, changes };
}

/** A number as typed: blank is not zero. */
function numberOf(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text.trim());
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
