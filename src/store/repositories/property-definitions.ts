import type { Kysely } from 'kysely';
import type { ObjectType, PropertyDefinition } from '../../domain/records.js';
import { type Clock, isoAt } from '../../lib/clock.js';
import type { Database } from '../schema.js';
import { chunk, rowsPerStatement } from './chunk.js';
import { fromJson, toJson } from './json.js';

/** The CRM's field definitions per tenant and object type, replaced as a whole on every sync of them. */
export class PropertyDefinitionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** The definitions of `objectType` become exactly `definitions`. */
  async replace(tenantId: string, objectType: ObjectType, definitions: readonly PropertyDefinition[]): Promise<void> {
    await this.db
      .deleteFrom('propertyDefinitions')
      .where('tenantId', '=', tenantId)
      .where('objectType', '=', objectType)
      .execute();
    const syncedAt = isoAt(this.clock);
    const rows = definitions.map((d) => ({
      tenantId,
      objectType,
      name: d.name,
      label: d.label,
      type: d.type,
      fieldType: d.fieldType,
      groupName: d.groupName,
      options: toJson(d.options),
      readOnly: d.readOnly ? 1 : 0,
      custom: d.custom ? 1 : 0,
      syncedAt,
    }));
    for (const part of chunk(rows, rowsPerStatement(11))) {
      if (part.length > 0) await this.db.insertInto('propertyDefinitions').values(part).execute();
    }
  }

  async list(tenantId: string, objectType?: ObjectType): Promise<PropertyDefinition[]> {
    let query = this.db.selectFrom('propertyDefinitions').selectAll().where('tenantId', '=', tenantId);
    if (objectType !== undefined) query = query.where('objectType', '=', objectType);
    const rows = await query.orderBy('objectType').orderBy('name').execute();
    return rows.map((r) => ({
      objectType: r.objectType as ObjectType,
      name: r.name,
      label: r.label,
      type: r.type,
      fieldType: r.fieldType,
      groupName: r.groupName,
      options: fromJson(r.options, []),
      readOnly: r.readOnly === 1,
      custom: r.custom === 1,
    }));
  }
}
