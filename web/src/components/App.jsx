// The shell: sign-in state (the token lives in sessionStorage only), hash routing
// (#/board, #/ticket/<id>, #/stats), the header, and the app context.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { zh, roleLabel } from '../zh.js';
import { createApi } from '../lib/api.js';
import { decodeToken } from '../lib/jwt.js';
import { indexOrganisation, emptyOrg } from '../lib/org.js';
import { serviceClock, formatDateTime } from '../lib/time.js';
import { AppContext, useServiceNow } from '../hooks.js';
import { SignIn } from './SignIn.jsx';
import { Board } from './Board.jsx';
import { TicketPage } from './TicketPage.jsx';
import { Stats } from './Stats.jsx';

const TOKEN_KEY = 'dispatch.token';

export function parseRoute(hash) {
  const h = (hash || '').replace(/^#/, '');
  const m = /^\/ticket\/([^/?#]+)$/.exec(h);
  if (m) {
    try {
      return { page: 'ticket', id: decodeURIComponent(m[1]) };
    } catch {
      return { page: 'board' };
    }
  }
  if (h === '/stats') return { page: 'stats' };
  return { page: 'board' };
}

function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function App() {
  const [token, setToken] = useState(readToken);
  const [notice, setNotice] = useState('');
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  const [org, setOrg] = useState(emptyOrg);
  const [orgError, setOrgError] = useState(null);
  const tokenRef = useRef(token);
  tokenRef.current = token;

  useEffect(() => {
    const f = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);

  const signOut = useCallback((message = '') => {
    try {
      sessionStorage.clear();
    } catch {
      /* storage unavailable */
    }
    tokenRef.current = '';
    setToken('');
    setOrg(emptyOrg);
    setNotice(message);
  }, []);

  const api = useMemo(
    () =>
      createApi({
        getToken: () => tokenRef.current,
        onUnauthorized: () => signOut(zh.signIn.sessionExpired),
      }),
    [signOut],
  );

  const claims = useMemo(() => (token ? decodeToken(token) : null), [token]);

  // The organisation, for unit and handler names (supervisors and dispatchers may read it).
  useEffect(() => {
    if (!token) return undefined;
    const ctrl = new AbortController();
    api
      .getOrganisation({ signal: ctrl.signal })
      .then((o) => {
        setOrg(indexOrganisation(o));
        setOrgError(null);
      })
      .catch((e) => {
        if (e?.name !== 'AbortError') setOrgError(e);
      });
    return () => ctrl.abort();
  }, [token, api]);

  const signIn = useCallback((t, o) => {
    try {
      sessionStorage.setItem(TOKEN_KEY, t);
    } catch {
      /* kept in memory only */
    }
    tokenRef.current = t;
    setNotice('');
    if (o) setOrg(indexOrganisation(o));
    setToken(t);
  }, []);

  if (!token || !claims) {
    return <SignIn onSignIn={signIn} notice={notice} />;
  }

  const ctx = { api, org, claims, token, signOut };
  let page;
  if (route.page === 'ticket') page = <TicketPage key={route.id} id={route.id} />;
  else if (route.page === 'stats') page = <Stats />;
  else page = <Board />;

  return (
    <AppContext.Provider value={ctx}>
      <Header route={route} claims={claims} org={org} onLogout={() => signOut('')} />
      {orgError && orgError.httpStatus !== 401 ? (
        <div class="notice" data-testid="org-warning">
          {zh.app.noOrg}（{orgError.message}）
        </div>
      ) : null}
      <main>{page}</main>
    </AppContext.Provider>
  );
}

function Header({ route, claims, org, onLogout }) {
  const now = useServiceNow();
  const scaled = serviceClock.scale !== 1;
  return (
    <header class="top">
      <div class="brand">{zh.app.title}</div>
      <nav>
        <a href="#/board" class={route.page === 'board' ? 'active' : ''} data-testid="nav-board">
          {zh.app.nav.board}
        </a>
        <a href="#/stats" class={route.page === 'stats' ? 'active' : ''} data-testid="nav-stats">
          {zh.app.nav.stats}
        </a>
      </nav>
      <div class="service-time" data-testid="service-time" title={zh.app.serviceTime}>
        {zh.app.serviceTime} {formatDateTime(now)}
        {scaled ? <span class="badge warn">{zh.app.scaled(serviceClock.scale)}</span> : null}
      </div>
      <div class="whoami" data-testid="whoami">
        <span title={zh.who.subject}>{claims.sub}</span>
        <span title={zh.who.unit}>{org.unitName(claims.unit) || claims.unit}</span>
        <span title={zh.who.roles}>{claims.roles.map(roleLabel).join('、')}</span>
      </div>
      <button type="button" class="logout" onClick={onLogout} data-testid="logout">
        {zh.app.logout}
      </button>
    </header>
  );
}
