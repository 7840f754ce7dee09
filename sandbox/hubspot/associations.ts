import { type ObjectTypeName, SINGULAR } from './object-types.js';

export type AssociationCategory = 'HUBSPOT_DEFINED' | 'USER_DEFINED' | 'INTEGRATOR_DEFINED';

export interface AssociationType {
  category: AssociationCategory;
  typeId: number;
}

interface TypeInfo {
  from: ObjectTypeName;
  to: ObjectTypeName;
  inverse: number;
  label: string | null;
  /** The v3 name of the type (as the objects API lists inline associations). */
  name: string;
}

/** HubSpot-defined association types (the SDK's `AssociationTypes`), each with its inverse. */
const PAIRS: Array<[ObjectTypeName, ObjectTypeName, number, number, string | null]> = [
  ['contacts', 'companies', 1, 2, 'Primary'],
  ['contacts', 'companies', 279, 280, null],
  ['deals', 'contacts', 3, 4, null],
  ['deals', 'companies', 5, 6, 'Primary'],
  ['deals', 'companies', 341, 342, null],
  ['deals', 'line_items', 19, 20, null],
  ['tasks', 'contacts', 204, 203, null],
  ['tasks', 'deals', 216, 215, null],
  ['tasks', 'companies', 192, 191, null],
  ['contacts', 'contacts', 449, 449, null],
  ['companies', 'companies', 450, 450, null],
  ['deals', 'deals', 451, 451, null],
];

export const ASSOCIATION_TYPES: ReadonlyMap<number, TypeInfo> = (() => {
  const map = new Map<number, TypeInfo>();
  for (const [a, b, ab, ba, label] of PAIRS) {
    const suffix = label === 'Primary' ? '' : '_unlabeled';
    const primaryExists = PAIRS.some(([x, y, , , l]) => x === a && y === b && l === 'Primary');
    const named = (from: ObjectTypeName, to: ObjectTypeName) =>
      `${SINGULAR[from]}_to_${SINGULAR[to]}${primaryExists ? suffix : ''}`;
    map.set(ab, { from: a, to: b, inverse: ba, label, name: named(a, b) });
    if (ab !== ba) map.set(ba, { from: b, to: a, inverse: ab, label, name: named(b, a) });
  }
  return map;
})();

/** The default (unlabelled) HubSpot-defined type from one object type to another, if the pair associates. */
export function defaultTypeId(from: ObjectTypeName, to: ObjectTypeName): number | undefined {
  for (const [id, info] of ASSOCIATION_TYPES) {
    if (info.from === from && info.to === to && info.label === null) return id;
  }
  return undefined;
}

/** The primary type between two object types (contact→company 1, deal→company 5), if there is one. */
export function primaryTypeId(from: ObjectTypeName, to: ObjectTypeName): number | undefined {
  for (const [id, info] of ASSOCIATION_TYPES) {
    if (info.from === from && info.to === to && info.label === 'Primary') return id;
  }
  return undefined;
}

export function associationLabel(typeId: number): string | null {
  return ASSOCIATION_TYPES.get(typeId)?.label ?? null;
}

/**
 * Associations between records, kept in both directions: every link carries its type ids, and adding a type
 * adds its inverse on the other record. Keys are `type:id`.
 */
export class AssociationStore {
  private readonly links = new Map<string, Map<ObjectTypeName, Map<number, Set<number>>>>();

  /** Record ids associated with `type:id` of `toType`, in id order, with their type ids. */
  list(type: ObjectTypeName, id: number, toType: ObjectTypeName): Array<{ toId: number; typeIds: number[] }> {
    const byType = this.links.get(`${type}:${id}`)?.get(toType);
    if (!byType) return [];
    return [...byType.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([toId, typeIds]) => ({ toId, typeIds: [...typeIds].sort((a, b) => a - b) }));
  }

  count(type: ObjectTypeName, id: number, toType: ObjectTypeName): number {
    return this.links.get(`${type}:${id}`)?.get(toType)?.size ?? 0;
  }

  /** Adds type ids to the link from→to (and their inverses to→from); returns whether anything was new. */
  add(from: ObjectTypeName, fromId: number, to: ObjectTypeName, toId: number, typeIds: number[]): boolean {
    let added = false;
    for (const typeId of typeIds) {
      const info = ASSOCIATION_TYPES.get(typeId);
      const inverse = info?.inverse ?? typeId;
      added = this.put(from, fromId, to, toId, typeId) || added;
      this.put(to, toId, from, fromId, inverse);
    }
    return added;
  }

  /** Removes the link from→to entirely (all types, both directions); returns whether it existed. */
  remove(from: ObjectTypeName, fromId: number, to: ObjectTypeName, toId: number): boolean {
    const forward = this.links.get(`${from}:${fromId}`)?.get(to);
    const existed = forward?.delete(toId) ?? false;
    this.links.get(`${to}:${toId}`)?.get(from)?.delete(fromId);
    return existed;
  }

  /** Removes some type ids (and their inverses) from a link; the link goes when no type is left. */
  removeTypes(from: ObjectTypeName, fromId: number, to: ObjectTypeName, toId: number, typeIds: number[]): void {
    const forward = this.links.get(`${from}:${fromId}`)?.get(to)?.get(toId);
    const backward = this.links.get(`${to}:${toId}`)?.get(from)?.get(fromId);
    for (const typeId of typeIds) {
      forward?.delete(typeId);
      backward?.delete(ASSOCIATION_TYPES.get(typeId)?.inverse ?? typeId);
    }
    if (forward?.size === 0) this.links.get(`${from}:${fromId}`)!.get(to)!.delete(toId);
    if (backward?.size === 0) this.links.get(`${to}:${toId}`)!.get(from)!.delete(fromId);
  }

  /** Every link of a record, for moving them (merge) or dropping them (privacy deletion). */
  all(type: ObjectTypeName, id: number): Array<{ toType: ObjectTypeName; toId: number; typeIds: number[] }> {
    const out: Array<{ toType: ObjectTypeName; toId: number; typeIds: number[] }> = [];
    for (const [toType, byId] of this.links.get(`${type}:${id}`) ?? []) {
      for (const [toId, typeIds] of byId) out.push({ toType, toId, typeIds: [...typeIds] });
    }
    return out;
  }

  private put(from: ObjectTypeName, fromId: number, to: ObjectTypeName, toId: number, typeId: number): boolean {
    const key = `${from}:${fromId}`;
    let byType = this.links.get(key);
    if (!byType) {
      byType = new Map();
      this.links.set(key, byType);
    }
    let byId = byType.get(to);
    if (!byId) {
      byId = new Map();
      byType.set(to, byId);
    }
    let types = byId.get(toId);
    if (!types) {
      types = new Set();
      byId.set(toId, types);
    }
    if (types.has(typeId)) return false;
    types.add(typeId);
    return true;
  }
}
