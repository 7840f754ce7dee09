import { describe, expect, it } from '@jest/globals';
import { seriesTitle } from '../../../src/dashboard/views/forecast-verdict.js';
import { pipelineLabelsOf, stageLabelsOf } from '../../../src/domain/crm-labels.js';
import type { PropertyDefinition } from '../../../src/domain/records.js';

const definition = (name: string, options: PropertyDefinition['options']): PropertyDefinition => ({
  objectType: 'deal',
  name,
  label: name,
  type: 'enumeration',
  fieldType: 'select',
  groupName: null,
  options,
  readOnly: false,
  custom: false,
});

// HubSpot: stage ids are internal; each stage names its pipeline (mapPropertyDefinitions puts it in metadata).
const hubspot = [
  definition('dealstage', [
    {
      value: 'appointmentscheduled',
      label: 'Appointment scheduled',
      hidden: false,
      metadata: { pipelineId: 'default', pipelineLabel: 'Sales pipeline' },
    },
    {
      value: '2000100',
      label: 'Contract sent',
      hidden: false,
      metadata: { pipelineId: '2000001', pipelineLabel: 'Renewals' },
    },
  ]),
  definition('pipeline', [{ value: 'default', label: 'Sales Pipeline', hidden: false }]),
];
// Salesforce: picklist values are mostly their own labels.
const salesforce = [
  definition('StageName', [
    { value: 'Prospecting', label: 'Prospecting', hidden: false },
    { value: 'Negotiation/Review', label: 'Negotiation', hidden: false },
  ]),
];

describe('the CRM’s own labels', () => {
  it('names deal stages as the CRM labels them, on both CRMs', () => {
    expect(stageLabelsOf(hubspot)).toEqual({
      appointmentscheduled: 'Appointment scheduled',
      '2000100': 'Contract sent',
    });
    expect(stageLabelsOf(salesforce)).toEqual({ 'Negotiation/Review': 'Negotiation' });
  });

  it('names pipelines, and forecast titles use them', () => {
    const pipelines = pipelineLabelsOf(hubspot);
    expect(pipelines).toEqual({ default: 'Sales Pipeline', '2000001': 'Renewals' });
    expect(seriesTitle('revenue:2000001', pipelines)).toBe('Won revenue per month, pipeline “Renewals”');
    expect(seriesTitle('revenue:2000999', pipelines)).toBe('Won revenue per month, pipeline 2000999');
  });
});
