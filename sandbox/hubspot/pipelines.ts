/** Deal pipelines and their stages, as `/crm/v3/pipelines/deals` shows them. */
export interface PipelineStage {
  id: string;
  label: string;
  displayOrder: number;
  metadata: { isClosed: 'true' | 'false'; probability: string };
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT';
}

export interface Pipeline {
  id: string;
  label: string;
  displayOrder: number;
  stages: PipelineStage[];
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

/** HubSpot's default sales pipeline (the stage ids every portal starts with) and a renewal pipeline. */
export function defaultPipelines(createdAt: string, renewalId: string): Pipeline[] {
  const stage = (id: string, label: string, order: number, probability: string, closed = false): PipelineStage => ({
    id,
    label,
    displayOrder: order,
    metadata: { isClosed: closed ? 'true' : 'false', probability },
    createdAt,
    updatedAt: createdAt,
    archived: false,
    writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
  });
  const sales: Pipeline = {
    id: 'default',
    label: 'Sales Pipeline',
    displayOrder: 0,
    createdAt,
    updatedAt: createdAt,
    archived: false,
    stages: [
      stage('appointmentscheduled', 'Appointment Scheduled', 0, '0.2'),
      stage('qualifiedtobuy', 'Qualified To Buy', 1, '0.4'),
      stage('presentationscheduled', 'Presentation Scheduled', 2, '0.6'),
      stage('decisionmakerboughtin', 'Decision Maker Bought-In', 3, '0.8'),
      stage('contractsent', 'Contract Sent', 4, '0.9'),
      stage('closedwon', 'Closed Won', 5, '1.0', true),
      stage('closedlost', 'Closed Lost', 6, '0.0', true),
    ],
  };
  const base = Number(renewalId);
  const renewal: Pipeline = {
    id: renewalId,
    label: 'Renewals',
    displayOrder: 1,
    createdAt,
    updatedAt: createdAt,
    archived: false,
    stages: [
      stage(String(base + 1), 'Renewal Identified', 0, '0.3'),
      stage(String(base + 2), 'Usage Reviewed', 1, '0.5'),
      stage(String(base + 3), 'Proposal Sent', 2, '0.7'),
      stage(String(base + 4), 'Negotiation', 3, '0.8'),
      stage(String(base + 5), 'Verbal Commit', 4, '0.9'),
      stage(String(base + 6), 'Renewed', 5, '1.0', true),
      stage(String(base + 7), 'Churned', 6, '0.0', true),
    ],
  };
  return [sales, renewal];
}

export function findStage(
  pipelines: Pipeline[],
  stageId: string,
): { pipeline: Pipeline; stage: PipelineStage } | undefined {
  for (const pipeline of pipelines) {
    const stage = pipeline.stages.find((s) => s.id === stageId);
    if (stage) return { pipeline, stage };
  }
  return undefined;
}
