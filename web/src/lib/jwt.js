// Reads a JWT's payload for display only (who signed in, for which unit, with which roles).
// Nothing is verified here: the gateway verifies every request. Claims (common/auth/jwt.h):
// sub, unit (the unit code), roles and channels (arrays of strings), exp (seconds since epoch).

function base64UrlDecode(s) {
  let b = s.replace(/-/g, '+').replace(/_/g, '/');
  while (b.length % 4) b += '=';
  const bin = atob(b);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

// {sub, unit, roles, channels, exp (ms or NaN)}, or null when the token is not a JWT.
export function decodeToken(token) {
  const t = String(token ?? '').trim();
  const parts = t.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return null;
  let payload;
  try {
    payload = JSON.parse(base64UrlDecode(parts[1]));
  } catch {
    return null;
  }
  if (!payload || typeof payload !== 'object') return null;
  const strings = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : typeof v === 'string' ? [v] : []);
  return {
    sub: typeof payload.sub === 'string' ? payload.sub : '',
    unit: typeof payload.unit === 'string' ? payload.unit : '',
    roles: strings(payload.roles),
    channels: strings(payload.channels),
    exp: typeof payload.exp === 'number' ? payload.exp * 1000 : NaN,
  };
}
