import { describe, expect, it } from '@jest/globals';
import { XMLValidator } from 'fast-xml-parser';
import { loadAppManifest } from '../../../src/config/app-manifest.js';
import { outboundMessageUrl } from '../../../src/install/outbound-secret.js';
import { appManifestPath } from '../../../src/lib/package-root.js';
import {
  buildSalesforceMetadata,
  excludeUserFormula,
  outboundMessageMetadata,
} from '../../../src/manifest/salesforce-metadata.js';

describe('Salesforce metadata: where outbound messages go', () => {
  const manifest = loadAppManifest(appManifestPath());
  const publicUrl = 'https://agent.example.com';
  const secret = 'k3Xq9v_Zb1-4TtQeW7yUoP2sLmN8rA5cD6fG0hJiKlM';
  const endpointUrl = outboundMessageUrl(publicUrl, manifest.crms.salesforce.webhookPath, secret);
  const integrationUserId = '005Hs00000AbCdEIAZ';

  it('points each object’s outbound message at the org’s secret URL, with Send Session ID on', () => {
    const files = buildSalesforceMetadata(manifest, publicUrl, {
      endpointUrl,
      integrationUser: 'crm-agent@acme.com',
      integrationUserId,
    });
    const objects = manifest.crms.salesforce.outboundMessage.objects;
    for (const object of objects) {
      const file = files[`workflows/${object}.workflow-meta.xml`]!;
      expect(XMLValidator.validate(file)).toBe(true);
      expect(file).toContain(`<endpointUrl>${publicUrl}/webhooks/salesforce/${secret}</endpointUrl>`);
      expect(file).toContain('<includeSessionId>true</includeSessionId>');
      expect(file).toContain('<integrationUser>crm-agent@acme.com</integrationUser>');
    }
    expect(files['package.xml']).toContain(
      `${objects
        .map((o) => `<members>${o}.CrmAgent_${o}_Changed</members>`)
        .sort()
        .join('')}<name>WorkflowOutboundMessage</name>`,
    );
  });

  it('sends each message from an active rule on every save except those of crm-agent’s integration user', () => {
    const files = outboundMessageMetadata(manifest, { endpointUrl, integrationUser: 'u', integrationUserId });
    for (const object of manifest.crms.salesforce.outboundMessage.objects) {
      const rule = /<rules>(.*)<\/rules>/.exec(files[`workflows/${object}.workflow-meta.xml`]!)?.[1] ?? '';
      expect(rule).toContain(`<actions><name>CrmAgent_${object}_Changed</name><type>OutboundMessage</type></actions>`);
      expect(rule).toContain('<active>true</active>');
      expect(rule).toContain('<triggerType>onAllChanges</triggerType>');
      expect(rule).toContain(`<formula>CASESAFEID($User.Id) &lt;&gt; &quot;${integrationUserId}&quot;</formula>`);
    }
    const pkg = buildSalesforceMetadata(manifest, publicUrl, { endpointUrl, integrationUser: 'u', integrationUserId })[
      'package.xml'
    ]!;
    expect(pkg).toContain('<name>WorkflowRule</name>');
    expect(() => excludeUserFormula('005") || true || ("')).toThrow(/not a Salesforce user id/);
  });

  it('never points a message at the secret-less webhook path, and app-wide metadata carries no outbound messages', () => {
    expect(() =>
      outboundMessageMetadata(manifest, {
        endpointUrl: `${publicUrl}/webhooks/salesforce`,
        integrationUser: 'u',
        integrationUserId,
      }),
    ).toThrow(/must end with the org’s endpoint secret/);
    const files = buildSalesforceMetadata(manifest, publicUrl);
    expect(Object.keys(files).some((f) => f.startsWith('workflows/'))).toBe(false);
    expect(files['package.xml']).not.toContain('WorkflowOutboundMessage');
  });
});
