import type { PropertyDefinition } from './records.js';

/** The deal fields whose options are the deal stages: HubSpot's `dealstage`, Salesforce's `StageName`. */
const STAGE_FIELDS = new Set(['dealstage', 'StageName']);

/**
 * The CRM's label of each deal stage id, from the deal property definitions the sync keeps (HubSpot's stage ids
 * are internal, e.g. `appointmentscheduled` or `2000100`; Salesforce's picklist values are mostly their labels, and
 * only those that differ are listed).
 */
export function stageLabelsOf(definitions: readonly PropertyDefinition[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const d of definitions)
    if (d.objectType === 'deal' && STAGE_FIELDS.has(d.name))
      for (const o of d.options) if (o.label && o.label !== o.value) labels[o.value] = o.label;
  return labels;
}

/** The CRM's label of each pipeline id: HubSpot's `pipeline` options, and the pipeline its stages name. */
export function pipelineLabelsOf(definitions: readonly PropertyDefinition[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const d of definitions) {
    if (d.objectType !== 'deal') continue;
    if (d.name === 'pipeline') for (const o of d.options) if (o.label) labels[o.value] = o.label;
    if (STAGE_FIELDS.has(d.name))
      for (const o of d.options) {
        const id = o.metadata?.pipelineId;
        const label = o.metadata?.pipelineLabel;
        if (id && label && labels[id] === undefined) labels[id] = label;
      }
  }
  return labels;
}
