// An index of the organisation (GetOrganisation: dispatch.config.v1.Organisation in JSON) for
// display: unit and handler names by code and id, and a unit's children.

export function indexOrganisation(org) {
  const units = new Map();
  const handlers = new Map();
  const children = new Map();
  for (const u of org?.units ?? []) {
    units.set(u.code, u);
    if (u.parentCode) {
      if (!children.has(u.parentCode)) children.set(u.parentCode, []);
      children.get(u.parentCode).push(u);
    }
  }
  for (const h of org?.handlers ?? []) handlers.set(h.id, h);
  return {
    version: org?.version ?? '',
    unit: (code) => units.get(code) ?? null,
    unitName: (code) => (code ? units.get(code)?.name ?? code : ''),
    handlerName: (id) => (id ? handlers.get(id)?.name ?? '' : ''),
    children: (code) => children.get(code) ?? [],
    size: units.size,
  };
}

// Before (or without) the organisation: codes stand for names.
export const emptyOrg = indexOrganisation(null);
