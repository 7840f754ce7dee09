import type { AppManifest } from '../config/app-manifest.js';
import { NEXT_BEST_ACTIONS } from '../domain/output-fields.js';

/** Files of a project, by path relative to its root. */
export type ProjectFiles = Record<string, string>;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * A HubSpot developer project (platform 2025.2) generated from `app-manifest.json`, ready for
 * `hs project upload`: the marketplace OAuth app, its webhook subscriptions, the "Get next best action"
 * workflow action and the CRM card reps see. The card fetches from crm-agent; HubSpot signs those requests.
 */
export function buildHubSpotProject(manifest: AppManifest, publicUrl: string): ProjectFiles {
  const hs = manifest.crms.hubspot;
  const url = (path: string) => `${publicUrl}${path}`;
  const crmObjects = hs.webhooks.objects.flatMap((o) => [
    ...o.events.map((event) => ({ subscriptionType: `object.${event}`, objectType: o.objectType, active: true })),
    ...o.properties.map((propertyName) => ({
      subscriptionType: 'object.propertyChange',
      objectType: o.objectType,
      propertyName,
      active: true,
    })),
  ]);
  const outputs = [
    {
      name: 'next_best_action',
      type: 'enumeration',
      fieldType: 'select',
      options: NEXT_BEST_ACTIONS.map((a) => ({ ...a })),
      label: 'Next best action',
    },
    { name: 'action_reason', type: 'string', fieldType: 'textarea', label: 'Why' },
    {
      name: 'priority',
      type: 'enumeration',
      fieldType: 'select',
      options: ['high', 'medium', 'low'].map((p) => ({ value: p, label: p })),
      label: 'Priority',
    },
    { name: 'due_date', type: 'date', fieldType: 'date', label: 'Due date' },
    { name: 'score', type: 'number', fieldType: 'number', label: 'Win probability or churn risk (%)' },
  ];
  return {
    'hsproject.json': json({ name: manifest.name, srcDir: 'src', platformVersion: '2025.2' }),
    'src/app/app-hsmeta.json': json({
      uid: `${manifest.name.replace(/-/g, '_')}_app`,
      type: 'app',
      config: {
        name: manifest.name,
        description: manifest.description,
        distribution: 'marketplace',
        auth: {
          type: 'oauth',
          redirectUrls: [url(hs.redirectPath)],
          requiredScopes: hs.scopes.required,
          optionalScopes: hs.scopes.optional,
          conditionallyRequiredScopes: [],
        },
        permittedUrls: { fetch: [publicUrl], iframe: [publicUrl], img: [] },
        support: { supportEmail: manifest.support.email, documentationUrl: manifest.support.documentationUrl },
      },
    }),
    'src/app/webhooks/webhooks-hsmeta.json': json({
      uid: 'crm_agent_webhooks',
      type: 'webhooks',
      config: {
        settings: { targetUrl: url(hs.webhookPath), maxConcurrentRequests: hs.webhooks.maxConcurrentRequests },
        subscriptions: {
          crmObjects,
          hubEvents: hs.webhooks.privacyDeletion ? [{ subscriptionType: 'contact.privacyDeletion', active: true }] : [],
        },
      },
    }),
    'src/app/workflow-actions/next-best-action-hsmeta.json': json({
      uid: 'crm_agent_next_best_action',
      type: 'workflow-action',
      config: {
        actionUrl: url(hs.workflowAction.path),
        isPublished: true,
        supportedClients: [{ client: 'WORKFLOWS' }],
        inputFields: [],
        outputFields: outputs.map(({ label: _label, ...typeDefinition }) => ({ typeDefinition })),
        labels: {
          en: {
            actionName: hs.workflowAction.label,
            actionDescription: hs.workflowAction.description,
            appDisplayName: manifest.name,
            actionCardContent: hs.workflowAction.label,
            outputFieldLabels: Object.fromEntries(outputs.map((o) => [o.name, o.label])),
          },
        },
        objectTypes: hs.workflowAction.objectTypes,
      },
    }),
    'src/app/cards/score-card-hsmeta.json': json({
      uid: 'crm_agent_score_card',
      type: 'card',
      config: {
        name: hs.card.title,
        location: 'crm.record.sidebar',
        entrypoint: '/app/cards/ScoreCard.jsx',
        objectTypes: hs.card.objectTypes,
      },
    }),
    'src/app/cards/package.json': json({
      name: `${manifest.name}-score-card`,
      version: '0.1.0',
      private: true,
      type: 'module',
      dependencies: { '@hubspot/ui-extensions': 'latest', react: '^18.2.0' },
    }),
    'src/app/cards/ScoreCard.jsx': scoreCardSource(url(hs.card.path)),
  };
}

/**
 * The card's React component (`@hubspot/ui-extensions` components, hubspot.fetch; HubSpot signs the fetch with the
 * app's client secret): the record's segment, its score with the change and reasons, the next best action with its
 * priority, due date and reason, and the recommended products. Written from HubSpot's public UI components reference.
 */
function scoreCardSource(endpoint: string): string {
  return `import React, { useEffect, useState } from 'react';
import { hubspot, Alert, Divider, Flex, Heading, List, LoadingSpinner, StatusTag, Text } from '@hubspot/ui-extensions';

// Generated by \`crm-agent manifest hubspot\` from app-manifest.json.
const ENDPOINT = ${JSON.stringify(endpoint)};
const PRIORITY_VARIANT = { high: 'danger', medium: 'warning', low: 'info' };

hubspot.extend(({ context }) => <ScoreCard context={context} />);

function ScoreCard({ context }) {
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    const { objectId, objectTypeId } = context.crm;
    hubspot
      .fetch(ENDPOINT, { method: 'POST', body: { objectId: String(objectId), objectTypeId } })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error('crm-agent answered ' + res.status))))
      .then((card) => setState({ card }))
      .catch((error) => setState({ error: error.message }));
  }, [context.crm.objectId]);
  if (state.loading) return <LoadingSpinner label="Loading crm-agent's view" />;
  if (state.error) return <Alert title="crm-agent is unavailable" variant="warning">{state.error}</Alert>;
  const { card } = state;
  if (!card.scored) return <Text>Not scored yet: crm-agent scores records after its next run.</Text>;
  const { score, action, segment, recommendations = [] } = card;
  return (
    <Flex direction="column" gap="sm">
      {segment && <Text><Text inline format={{ fontWeight: 'bold' }}>Segment </Text>{segment}</Text>}
      {score && (
        <Flex direction="column" gap="xs">
          <Heading>{score.label}: {score.percent}%{score.change ? \` (\${score.change > 0 ? '+' : ''}\${score.change})\` : ''}</Heading>
          <List variant="unordered-styled">{score.reasons.map((reason) => <Text key={reason}>{reason}</Text>)}</List>
        </Flex>
      )}
      <Divider />
      {action ? (
        <Flex direction="column" gap="xs">
          <Text><Text inline format={{ fontWeight: 'bold' }}>Next best action </Text><StatusTag variant={PRIORITY_VARIANT[action.priority] ?? 'default'}>{action.priority}</StatusTag> {action.label}{action.due ? \` · due \${action.due}\` : ''}</Text>
          <Text variant="microcopy">{action.reason}</Text>
        </Flex>
      ) : (
        <Text>No action needed now.</Text>
      )}
      {recommendations.length > 0 && (
        <Flex direction="column" gap="xs">
          <Divider />
          <Text format={{ fontWeight: 'bold' }}>Recommended products</Text>
          <List variant="unordered-styled">{recommendations.map((item) => <Text key={item}>{item}</Text>)}</List>
        </Flex>
      )}
    </Flex>
  );
}
`;
}
