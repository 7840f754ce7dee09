/**
 * The fields crm-agent writes into the CRM (one definition for both CRMs): provisioning creates them, the
 * write plan fills them, the manifest generator declares them. `name` is the HubSpot property name; the
 * Salesforce custom field is `apiName`. Enumerations whose options follow the data (segment names) declare none.
 */
export interface OutputField {
  name: string;
  apiName: string;
  label: string;
  description: string;
  type: 'text' | 'number' | 'enumeration' | 'datetime' | 'date';
  /** Which objects carry it. */
  objects: ReadonlyArray<'contact' | 'company' | 'deal'>;
  /** Fixed options of an enumeration; absent when they follow the data. */
  options?: ReadonlyArray<{ value: string; label: string }>;
  /** Number fields: shown as a percentage (0–100) or a plain number. */
  percent?: boolean;
}

export const NEXT_BEST_ACTIONS = [
  { value: 'call', label: 'Call' },
  { value: 'email', label: 'Email' },
  { value: 'meeting', label: 'Book a meeting' },
  { value: 'discount_offer', label: 'Discount or offer' },
  { value: 'cross_sell', label: 'Cross-sell a product' },
  { value: 're_engage', label: 'Re-engage' },
  { value: 'hand_to_success', label: 'Hand to customer success' },
  { value: 'none', label: 'Nothing now' },
] as const;

export const PROPERTY_GROUP = { name: 'crm_agent', label: 'crm-agent' } as const;

export const OUTPUT_FIELDS: readonly OutputField[] = [
  {
    name: 'crm_agent_segment',
    apiName: 'CrmAgent_Segment__c',
    label: 'Segment',
    description: 'The customer segment crm-agent assigned',
    type: 'enumeration',
    objects: ['contact', 'company'],
  },
  {
    name: 'crm_agent_win_probability',
    apiName: 'CrmAgent_Win_Probability__c',
    label: 'Win probability',
    description: 'Calibrated probability that the deal is won',
    type: 'number',
    percent: true,
    objects: ['deal'],
  },
  {
    name: 'crm_agent_churn_risk',
    apiName: 'CrmAgent_Churn_Risk__c',
    label: 'Churn risk',
    description: 'Calibrated probability that the customer stops buying',
    type: 'number',
    percent: true,
    objects: ['contact', 'company'],
  },
  {
    name: 'crm_agent_score_change',
    apiName: 'CrmAgent_Score_Change__c',
    label: 'Score change',
    description: 'Change of the score since the previous run, in points',
    type: 'number',
    objects: ['contact', 'company', 'deal'],
  },
  {
    name: 'crm_agent_top_reasons',
    apiName: 'CrmAgent_Top_Reasons__c',
    label: 'Top reasons',
    description: 'The three strongest reasons behind the score',
    type: 'text',
    objects: ['contact', 'company', 'deal'],
  },
  {
    name: 'crm_agent_next_best_action',
    apiName: 'CrmAgent_Next_Best_Action__c',
    label: 'Next best action',
    description: 'What to do next',
    type: 'enumeration',
    options: NEXT_BEST_ACTIONS,
    objects: ['contact', 'deal'],
  },
  {
    name: 'crm_agent_action_reason',
    apiName: 'CrmAgent_Action_Reason__c',
    label: 'Action reason',
    description: 'Why this action, in one sentence',
    type: 'text',
    objects: ['contact', 'deal'],
  },
  {
    name: 'crm_agent_action_due',
    apiName: 'CrmAgent_Action_Due__c',
    label: 'Action due',
    description: 'When the action is due',
    type: 'date',
    objects: ['contact', 'deal'],
  },
  {
    name: 'crm_agent_action_changed_at',
    apiName: 'CrmAgent_Action_Changed_At__c',
    label: 'Action changed at',
    description: 'When the next best action last changed (workflows enroll on it)',
    type: 'datetime',
    objects: ['contact', 'deal'],
  },
  {
    name: 'crm_agent_recommended_products',
    apiName: 'CrmAgent_Recommended_Products__c',
    label: 'Recommended products',
    description: 'Products to offer, with the rule behind each',
    type: 'text',
    objects: ['contact', 'company'],
  },
  {
    name: 'crm_agent_pipeline_forecast',
    apiName: 'CrmAgent_Pipeline_Forecast__c',
    label: 'Pipeline revenue forecast',
    description: "Won revenue forecast for this deal's pipeline in the forecast month (crm-agent's chosen model)",
    type: 'number',
    objects: ['deal'],
  },
  {
    name: 'crm_agent_pipeline_forecast_low',
    apiName: 'CrmAgent_Pipeline_Forecast_Low__c',
    label: 'Pipeline forecast, low (80 %)',
    description: 'Lower end of the 80 % interval of the pipeline forecast',
    type: 'number',
    objects: ['deal'],
  },
  {
    name: 'crm_agent_pipeline_forecast_high',
    apiName: 'CrmAgent_Pipeline_Forecast_High__c',
    label: 'Pipeline forecast, high (80 %)',
    description: 'Upper end of the 80 % interval of the pipeline forecast',
    type: 'number',
    objects: ['deal'],
  },
  {
    name: 'crm_agent_forecast_month',
    apiName: 'CrmAgent_Forecast_Month__c',
    label: 'Forecast month',
    description: 'The month the pipeline forecast is for (YYYY-MM)',
    type: 'text',
    objects: ['deal'],
  },
  {
    name: 'crm_agent_scored_at',
    apiName: 'CrmAgent_Scored_At__c',
    label: 'Scored at',
    description: 'When crm-agent last scored the record',
    type: 'datetime',
    objects: ['contact', 'company', 'deal'],
  },
  {
    name: 'crm_agent_model_version',
    apiName: 'CrmAgent_Model_Version__c',
    label: 'Model version',
    description: 'Which model run produced these values',
    type: 'text',
    objects: ['contact', 'company', 'deal'],
  },
];

/** The Platform Event crm-agent publishes per new action on Salesforce (Platform-Event-triggered Flows). */
export const ACTION_EVENT = {
  apiName: 'CrmAgent_Action__e',
  label: 'crm-agent action',
  fields: [
    { apiName: 'Record_Id__c', label: 'Record Id', type: 'Text', length: 18 },
    { apiName: 'Action__c', label: 'Action', type: 'Text', length: 40 },
    { apiName: 'Priority__c', label: 'Priority', type: 'Text', length: 10 },
    { apiName: 'Reason__c', label: 'Reason', type: 'LongTextArea', length: 1000 },
    { apiName: 'Action_Key__c', label: 'Action key', type: 'Text', length: 64 },
  ],
} as const;
