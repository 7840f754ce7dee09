import { AssociationStore, defaultTypeId, primaryTypeId } from './associations.js';
import { conflict, invalidProperties, notFound, validationError } from './errors.js';
import type { TokenStore } from './oauth.js';
import { CREATED, LAST_MODIFIED, OBJECT_TYPES, type ObjectTypeName, SINGULAR } from './object-types.js';
import { findStage, type Pipeline } from './pipelines.js';
import { PropertyRegistry } from './properties.js';
import { SearchIndex } from './search-index.js';

export interface HistoryEntry {
  value: string;
  timestamp: number;
  sourceType: string;
  sourceId?: string;
}

/** One CRM record. Property values are strings (absent: null), as HubSpot keeps them. */
export interface StoredObject {
  id: number;
  properties: Record<string, string>;
  /** Changes of each property, oldest first; a property never changed since creation has none stored. */
  history: Record<string, HistoryEntry[]>;
  createdAt: number;
  updatedAt: number;
  archived: boolean;
  archivedAt: number | null;
}

export interface Owner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  teams: Array<{ id: string; name: string; primary: boolean }>;
}

/** Who made a change: the API (through a token) or a user in the CRM's UI (the control endpoints). */
export interface ChangeSource {
  source: 'API' | 'CRM_UI' | 'IMPORT' | 'CALCULATED';
  sourceId?: string;
}

/** A change as webhooks report it. */
export interface ChangeEvent {
  subscriptionType: string;
  objectType: ObjectTypeName;
  objectId: number;
  occurredAt: number;
  changeSource: string;
  sourceId?: string;
  changeFlag?: string;
  propertyName?: string;
  propertyValue?: string;
  primaryObjectId?: number;
  mergedObjectIds?: number[];
  newObjectId?: number;
  numberOfPropertiesMoved?: number;
  fromObjectId?: number;
  toObjectId?: number;
  associationType?: string;
  associationRemoved?: boolean;
  isPrimaryAssociation?: boolean;
}

/** Archived records stay restorable (and listable with archived=true) for 90 days. */
export const ARCHIVE_RETENTION_MS = 90 * 86_400_000;

/** The records of one object type: by id, plus the ids in ascending order for paging. */
export class ObjectStore {
  readonly records = new Map<number, StoredObject>();
  /** Every id ever stored, ascending (ids only grow); entries of purged records are skipped when read. */
  readonly ids: number[] = [];
  /** Merged-away id → the id it was merged into. */
  readonly merged = new Map<number, number>();
  /** Live records by lower-cased value of each unique property (contacts' email; hasUniqueValue properties). */
  readonly unique = new Map<string, Map<string, number>>();

  constructor(public nextId: number) {}

  add(record: StoredObject): void {
    this.records.set(record.id, record);
    this.ids.push(record.id);
    if (record.id >= this.nextId) this.nextId = record.id + 1;
  }

  /** The index in `ids` of the first id greater than `after`. */
  indexAfter(after: number): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Follows merges: the live id a (possibly merged-away) id now lives on. */
  resolve(id: number): number {
    let current = id;
    for (let hops = 0; hops < 100 && this.merged.has(current); hops++) current = this.merged.get(current)!;
    return current;
  }
}

export interface SandboxStateOptions {
  portalId: number;
  /** The portal's company currency (ISO 4217); default USD. */
  companyCurrency?: string;
  now: () => number;
  searchLagMs: number;
  tokens: TokenStore;
}

/**
 * The sandbox portal's data: records per object type, property definitions, associations, owners, pipelines and
 * tokens, with the write rules HubSpot applies (validation, calculated properties, history, merges, archiving),
 * the search index, and a change feed for webhooks.
 */
export class SandboxState {
  readonly portalId: number;
  /** The account's company currency: account-info's `companyCurrency`, and every seeded deal's currency. */
  readonly companyCurrency: string;
  readonly now: () => number;
  readonly properties: PropertyRegistry;
  readonly associations = new AssociationStore();
  readonly index: SearchIndex;
  readonly tokens: TokenStore;
  readonly objects: Record<ObjectTypeName, ObjectStore>;
  owners: Owner[] = [];
  pipelines: Pipeline[] = [];
  private readonly listeners: Array<(event: ChangeEvent) => void> = [];

  constructor(options: SandboxStateOptions) {
    this.portalId = options.portalId;
    this.companyCurrency = options.companyCurrency ?? 'USD';
    this.now = () => Math.round(options.now());
    this.properties = new PropertyRegistry(this.now);
    this.index = new SearchIndex(this.now, options.searchLagMs);
    this.tokens = options.tokens;
    const bases: Record<ObjectTypeName, number> = {
      contacts: 101,
      companies: 5_000_001,
      deals: 9_000_001,
      line_items: 12_000_001,
      products: 15_000_001,
      tasks: 20_000_001,
    };
    this.objects = Object.fromEntries(OBJECT_TYPES.map((t) => [t, new ObjectStore(bases[t])])) as Record<
      ObjectTypeName,
      ObjectStore
    >;
  }

  onChange(listener: (event: ChangeEvent) => void): void {
    this.listeners.push(listener);
  }

  /** A live record by id (following merges when asked), or undefined. */
  get(type: ObjectTypeName, id: number, options: { followMerges?: boolean; archived?: boolean } = {}) {
    const store = this.objects[type];
    const resolved = options.followMerges === false ? id : store.resolve(id);
    const record = store.records.get(resolved);
    if (!record) return undefined;
    if (record.archived !== (options.archived ?? false)) return undefined;
    if (record.archived && record.archivedAt !== null && record.archivedAt < this.now() - ARCHIVE_RETENTION_MS) {
      return undefined;
    }
    return record;
  }

  /** A live record by the value of a unique property (email, hs_object_id, or a hasUniqueValue property). */
  findByProperty(type: ObjectTypeName, property: string, value: string): StoredObject | undefined {
    if (property === 'hs_object_id') return /^\d+$/.test(value) ? this.get(type, Number(value)) : undefined;
    const id = this.objects[type].unique.get(property)?.get(value.toLowerCase());
    return id === undefined ? undefined : this.get(type, id, { followMerges: false });
  }

  isUniqueProperty(type: ObjectTypeName, property: string): boolean {
    if (property === 'hs_object_id') return true;
    if (type === 'contacts' && property === 'email') return true;
    return this.properties.get(type, property)?.hasUniqueValue === true;
  }

  /**
   * Creates a record. Values are validated unless `system` (the sandbox's own writes: seed, calculated values).
   * `createdAt` lets the seed place records in the past.
   */
  create(
    type: ObjectTypeName,
    values: Record<string, unknown>,
    source: ChangeSource,
    options: { system?: boolean; createdAt?: number; updatedAt?: number } = {},
  ): StoredObject {
    const { values: clean, errors } = this.properties.normalise(type, values, { system: options.system === true });
    if (errors.length > 0) throw invalidProperties(errors);
    if (type === 'tasks' && !clean.hs_timestamp) {
      throw validationError('Property values were not valid: hs_timestamp is required for tasks.', {
        errors: [
          {
            message: 'hs_timestamp is required',
            code: 'REQUIRED_PROPERTY',
            context: { propertyName: ['hs_timestamp'] },
          },
        ],
      });
    }
    this.checkUnique(type, clean, undefined);
    const store = this.objects[type];
    const now = this.now();
    const createdAt = options.createdAt ?? now;
    const updatedAt = options.updatedAt ?? createdAt;
    const id = store.nextId;
    const properties: Record<string, string> = {};
    for (const [k, v] of Object.entries(clean)) if (v !== '') properties[k] = v;
    const record: StoredObject = {
      id,
      properties,
      history: {},
      createdAt,
      updatedAt,
      archived: false,
      archivedAt: null,
    };
    this.applyDerived(type, record);
    record.properties.hs_object_id = String(id);
    record.properties[CREATED[type]] ??= new Date(createdAt).toISOString();
    this.stampModified(type, record, updatedAt);
    store.add(record);
    this.indexUnique(type, record);
    this.reindex(type, record);
    this.emit({
      subscriptionType: `${SINGULAR[type]}.creation`,
      objectType: type,
      objectId: id,
      ...this.who(source, now),
      changeFlag: 'CREATED',
    });
    return record;
  }

  /** Updates properties ('' clears). Emits one propertyChange per changed value. */
  update(
    type: ObjectTypeName,
    id: number,
    values: Record<string, unknown>,
    source: ChangeSource,
    options: { system?: boolean; at?: number } = {},
  ): StoredObject {
    const record = this.get(type, id);
    if (!record) throw notFound(`resource not found`);
    const { values: clean, errors } = this.properties.normalise(type, values, { system: options.system === true });
    if (errors.length > 0) throw invalidProperties(errors);
    this.checkUnique(type, clean, record.id);
    const at = options.at ?? this.now();
    const before = { ...record.properties };
    this.unindexUnique(type, record);
    for (const [name, value] of Object.entries(clean)) this.setValue(record, name, value, at, source);
    this.applyDerived(type, record);
    const changed = Object.keys({ ...before, ...record.properties }).filter((k) => before[k] !== record.properties[k]);
    if (changed.length > 0) {
      record.updatedAt = at;
      this.stampModified(type, record, at);
    }
    this.indexUnique(type, record);
    this.reindex(type, record);
    for (const name of changed) {
      if (name === LAST_MODIFIED[type] || name === 'hs_lastmodifieddate' || name === 'lastmodifieddate') continue;
      this.emit({
        subscriptionType: `${SINGULAR[type]}.propertyChange`,
        objectType: type,
        objectId: record.id,
        ...this.who(source, at),
        propertyName: name,
        propertyValue: record.properties[name] ?? '',
      });
    }
    return record;
  }

  /** Archives (HubSpot's delete): restorable for 90 days; the modified date does not move. */
  archive(type: ObjectTypeName, id: number, source: ChangeSource): boolean {
    const record = this.get(type, id, { followMerges: false });
    if (!record) return false;
    record.archived = true;
    record.archivedAt = this.now();
    this.unindexUnique(type, record);
    this.index.put(type, record.id, null);
    this.emit({
      subscriptionType: `${SINGULAR[type]}.deletion`,
      objectType: type,
      objectId: record.id,
      ...this.who(source, record.archivedAt),
      changeFlag: 'DELETED',
    });
    return true;
  }

  restore(type: ObjectTypeName, id: number, source: ChangeSource): StoredObject {
    const record = this.get(type, id, { followMerges: false, archived: true });
    if (!record) throw notFound(`No archived ${SINGULAR[type]} with id ${id}`);
    this.checkUnique(type, record.properties, record.id);
    const at = this.now();
    record.archived = false;
    record.archivedAt = null;
    record.updatedAt = at;
    this.stampModified(type, record, at);
    this.indexUnique(type, record);
    this.reindex(type, record);
    this.emit({
      subscriptionType: `${SINGULAR[type]}.restore`,
      objectType: type,
      objectId: record.id,
      ...this.who(source, at),
      changeFlag: 'RESTORED',
    });
    return record;
  }

  /**
   * Merges `mergedId` into `primaryId`: the primary survives with its id, gains the other's empty-on-primary
   * values, its associations and `hs_merged_object_ids`; the merged id then resolves to the primary.
   */
  merge(type: ObjectTypeName, primaryId: number, mergedId: number, source: ChangeSource): StoredObject {
    if (type !== 'contacts' && type !== 'companies' && type !== 'deals') {
      throw validationError(`${type} cannot be merged.`);
    }
    const primary = this.get(type, primaryId, { followMerges: false });
    const merged = this.get(type, mergedId, { followMerges: false });
    if (!primary || !merged) throw notFound(`Could not find both records to merge (${primaryId}, ${mergedId}).`);
    if (primary.id === merged.id) throw validationError('A record cannot be merged into itself.');
    const at = this.now();
    const store = this.objects[type];
    this.unindexUnique(type, merged);
    this.unindexUnique(type, primary);
    let moved = 0;
    for (const [name, value] of Object.entries(merged.properties)) {
      const def = this.properties.get(type, name);
      if (!def || def.readOnlyValue || primary.properties[name] !== undefined) continue;
      this.setValue(primary, name, value, at, source);
      moved++;
    }
    const ids = new Set([
      ...(primary.properties.hs_merged_object_ids?.split(';') ?? []),
      ...(merged.properties.hs_merged_object_ids?.split(';') ?? []),
      String(merged.id),
    ]);
    this.setValue(primary, 'hs_merged_object_ids', [...ids].filter(Boolean).join(';'), at, { source: 'CALCULATED' });
    for (const link of this.associations.all(type, merged.id)) {
      this.associations.remove(type, merged.id, link.toType, link.toId);
      if (link.toType === type && link.toId === primary.id) continue;
      const primaryType = primaryTypeId(type, link.toType);
      const keep = link.typeIds.filter(
        (t) =>
          t !== primaryType ||
          this.associations.list(type, primary.id, link.toType).every((l) => !l.typeIds.includes(t)),
      );
      this.associations.add(
        type,
        primary.id,
        link.toType,
        link.toId,
        keep.length > 0 ? keep : [defaultTypeId(type, link.toType) ?? link.typeIds[0]!],
      );
      this.touchCounts(link.toType, link.toId, at);
    }
    store.records.delete(merged.id);
    store.merged.set(merged.id, primary.id);
    this.index.put(type, merged.id, null);
    this.applyDerived(type, primary);
    primary.updatedAt = at;
    this.stampModified(type, primary, at);
    this.indexUnique(type, primary);
    this.reindex(type, primary);
    this.emit({
      subscriptionType: `${SINGULAR[type]}.merge`,
      objectType: type,
      objectId: primary.id,
      ...this.who(source, at),
      primaryObjectId: primary.id,
      mergedObjectIds: [merged.id],
      newObjectId: primary.id,
      numberOfPropertiesMoved: moved,
    });
    return primary;
  }

  /** Permanently deletes a contact (GDPR): gone from reads, archived lists and search; its associations too. */
  purge(type: ObjectTypeName, id: number, source: ChangeSource): boolean {
    const store = this.objects[type];
    const record = store.records.get(store.resolve(id));
    if (!record) return false;
    const at = this.now();
    this.unindexUnique(type, record);
    for (const link of this.associations.all(type, record.id)) {
      this.associations.remove(type, record.id, link.toType, link.toId);
      this.touchCounts(link.toType, link.toId, at);
    }
    store.records.delete(record.id);
    this.index.put(type, record.id, null);
    if (type === 'contacts') {
      this.emit({
        subscriptionType: 'contact.privacyDeletion',
        objectType: type,
        objectId: record.id,
        ...this.who(source, at),
      });
    }
    this.emit({
      subscriptionType: `${SINGULAR[type]}.deletion`,
      objectType: type,
      objectId: record.id,
      ...this.who(source, at),
      changeFlag: 'DELETED',
    });
    return true;
  }

  /** Associates two live records with the given types (and their inverses); updates the calculated counts. */
  associate(
    from: ObjectTypeName,
    fromId: number,
    to: ObjectTypeName,
    toId: number,
    typeIds: number[],
    source: ChangeSource,
  ): void {
    const a = this.get(from, fromId);
    const b = this.get(to, toId);
    if (!a || !b) throw notFound(`No ${!a ? SINGULAR[from] : SINGULAR[to]} with id ${!a ? fromId : toId}`);
    const primary = primaryTypeId(from, to);
    if (primary !== undefined && typeIds.includes(primary)) {
      // One primary per record: a new primary replaces the old one.
      for (const link of this.associations.list(from, a.id, to)) {
        if (link.toId !== b.id && link.typeIds.includes(primary))
          this.associations.removeTypes(from, a.id, to, link.toId, [primary]);
      }
    }
    const isNew = this.associations.add(from, a.id, to, b.id, typeIds);
    if (!isNew) return;
    const at = this.now();
    this.touchCounts(from, a.id, at);
    this.touchCounts(to, b.id, at);
    this.emitAssociation(from, a.id, to, b.id, false, primary !== undefined && typeIds.includes(primary), source, at);
  }

  unassociate(from: ObjectTypeName, fromId: number, to: ObjectTypeName, toId: number, source: ChangeSource): boolean {
    const a = this.objects[from].resolve(fromId);
    const b = this.objects[to].resolve(toId);
    if (!this.associations.remove(from, a, to, b)) return false;
    const at = this.now();
    this.touchCounts(from, a, at);
    this.touchCounts(to, b, at);
    this.emitAssociation(from, a, to, b, true, false, source, at);
    return true;
  }

  private emitAssociation(
    from: ObjectTypeName,
    fromId: number,
    to: ObjectTypeName,
    toId: number,
    removed: boolean,
    isPrimary: boolean,
    source: ChangeSource,
    at: number,
  ): void {
    // HubSpot fires one event per side for a link between different object types (contact.associationChange
    // Sam → BlorgCorp and company.associationChange BlorgCorp → Sam), and since its bugfix both sides for links
    // within one type too: developers.hubspot.com/changelog/bugfix-webhook-associationchanges. The payload names
    // the link (associationType, fromObjectId, toObjectId, associationRemoved, isPrimaryAssociation):
    // developers.hubspot.com/changelog/new-subscription-types-for-webhooks.
    const sides: Array<[ObjectTypeName, number, ObjectTypeName, number]> = [
      [from, fromId, to, toId],
      [to, toId, from, fromId],
    ];
    for (const [a, aId, b, bId] of sides) {
      this.emit({
        subscriptionType: `${SINGULAR[a]}.associationChange`,
        objectType: a,
        objectId: aId,
        ...this.who(source, at),
        fromObjectId: aId,
        toObjectId: bId,
        associationType: `${SINGULAR[a]}_TO_${SINGULAR[b]}`.toUpperCase(),
        associationRemoved: removed,
        isPrimaryAssociation: isPrimary,
      });
    }
  }

  /**
   * Recomputes the calculated association counts HubSpot keeps on records (and the contact's primary company);
   * a changed value moves the record's modified date, as any calculated property change does.
   */
  touchCounts(type: ObjectTypeName, id: number, at: number): void {
    const record = this.get(type, id);
    if (!record) return;
    const next: Record<string, string> = {};
    const count = (to: ObjectTypeName) => String(this.associations.count(type, record.id, to));
    if (type === 'contacts') {
      next.num_associated_deals = count('deals');
      const primary = this.associations.list('contacts', record.id, 'companies').find((l) => l.typeIds.includes(1));
      next.associatedcompanyid = primary ? String(primary.toId) : '';
    } else if (type === 'companies') {
      next.num_associated_contacts = count('contacts');
      next.num_associated_deals = count('deals');
    } else if (type === 'deals') {
      next.num_associated_contacts = count('contacts');
      next.hs_num_of_associated_line_items = count('line_items');
    } else return;
    let changed = false;
    for (const [name, value] of Object.entries(next)) {
      if ((record.properties[name] ?? '') !== value) {
        this.setValue(record, name, value, at, { source: 'CALCULATED' });
        changed = true;
      }
    }
    if (!changed) return;
    record.updatedAt = at;
    this.stampModified(type, record, at);
    this.reindex(type, record);
  }

  /** Values HubSpot derives on every write: deal closed/won flags from the stage, line item net price. */
  private applyDerived(type: ObjectTypeName, record: StoredObject): void {
    const p = record.properties;
    if (type === 'deals' && p.dealstage !== undefined) {
      const found = findStage(this.pipelines, p.dealstage);
      if (found) {
        p.pipeline ??= found.pipeline.id;
        p.hs_is_closed = found.stage.metadata.isClosed;
        p.hs_is_closed_won = String(
          found.stage.metadata.isClosed === 'true' && Number(found.stage.metadata.probability) >= 1,
        );
        p.hs_deal_stage_probability = found.stage.metadata.probability;
      }
    }
    if (type === 'line_items') {
      const product = p.hs_product_id ? this.get('products', Number(p.hs_product_id)) : undefined;
      if (product) {
        p.name ??= product.properties.name ?? '';
        p.price ??= product.properties.price ?? '0';
        p.hs_sku ??= product.properties.hs_sku ?? '';
      }
      const quantity = Number(p.quantity ?? '1');
      const price = Number(p.price ?? '0');
      const discount = Number(p.hs_discount_percentage ?? '0');
      p.amount = String(Math.round(quantity * price * (1 - discount / 100) * 100) / 100);
    }
  }

  private setValue(record: StoredObject, name: string, value: string, at: number, source: ChangeSource): void {
    const previous = record.properties[name];
    if ((previous ?? '') === value) return;
    const history = record.history[name];
    if (!history && previous !== undefined) {
      record.history[name] = [{ value: previous, timestamp: record.createdAt, sourceType: 'IMPORT' }];
    }
    record.history[name] ??= [];
    record.history[name].push({
      value,
      timestamp: at,
      sourceType: source.source,
      ...(source.sourceId ? { sourceId: source.sourceId } : {}),
    });
    if (value === '') delete record.properties[name];
    else record.properties[name] = value;
  }

  /** Deal stage history and the like, from the past (the seed). */
  setHistory(record: StoredObject, name: string, entries: HistoryEntry[]): void {
    record.history[name] = entries;
  }

  private stampModified(type: ObjectTypeName, record: StoredObject, at: number): void {
    const iso = new Date(at).toISOString();
    record.properties[LAST_MODIFIED[type]] = iso;
    if (type === 'contacts') record.properties.hs_lastmodifieddate = iso;
  }

  /** Puts a record's current state into the search index (after direct writes by the seed). */
  reindex(type: ObjectTypeName, record: StoredObject): void {
    this.index.put(type, record.id, {
      id: record.id,
      properties: record.properties,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    });
  }

  private uniqueProperties(type: ObjectTypeName): string[] {
    const names = this.properties
      .list(type)
      .filter((d) => d.hasUniqueValue && d.name !== 'hs_object_id')
      .map((d) => d.name);
    return type === 'contacts' ? ['email', ...names] : names;
  }

  private checkUnique(type: ObjectTypeName, values: Record<string, string>, selfId: number | undefined): void {
    for (const name of this.uniqueProperties(type)) {
      const value = values[name];
      if (!value) continue;
      const owner = this.objects[type].unique.get(name)?.get(value.toLowerCase());
      if (owner !== undefined && owner !== selfId) {
        if (type === 'contacts' && name === 'email') throw conflict(`Contact already exists. Existing ID: ${owner}`);
        throw conflict(`A ${SINGULAR[type]} with ${name} ${value} already exists. Existing ID: ${owner}`);
      }
    }
  }

  private indexUnique(type: ObjectTypeName, record: StoredObject): void {
    for (const name of this.uniqueProperties(type)) {
      const value = record.properties[name];
      if (!value) continue;
      let byValue = this.objects[type].unique.get(name);
      if (!byValue) {
        byValue = new Map();
        this.objects[type].unique.set(name, byValue);
      }
      byValue.set(value.toLowerCase(), record.id);
    }
  }

  private unindexUnique(type: ObjectTypeName, record: StoredObject): void {
    for (const name of this.uniqueProperties(type)) {
      const value = record.properties[name];
      const byValue = this.objects[type].unique.get(name);
      if (value && byValue?.get(value.toLowerCase()) === record.id) byValue.delete(value.toLowerCase());
    }
  }

  private who(source: ChangeSource, at: number) {
    return { occurredAt: at, changeSource: source.source, ...(source.sourceId ? { sourceId: source.sourceId } : {}) };
  }

  private emit(event: ChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
