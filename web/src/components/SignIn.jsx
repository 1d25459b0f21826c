// Sign-in: paste a token. It is checked locally (a JWT with a unit, not expired by the real
// clock, which is what the service judges tokens by) and then by the gateway itself
// (GET /v1/organisation: 401 means the token is refused; 403 only that this role may not read
// the organisation, which is fine).
import { useState } from 'preact/hooks';
import { zh } from '../zh.js';
import { createApi } from '../lib/api.js';
import { decodeToken } from '../lib/jwt.js';

export function SignIn({ onSignIn, notice }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e) {
    e.preventDefault();
    const token = text.trim().replace(/^Bearer\s+/i, '');
    const claims = decodeToken(token);
    if (!claims) return setError(zh.signIn.malformed);
    if (Number.isFinite(claims.exp) && claims.exp <= Date.now()) return setError(zh.signIn.expired);
    if (!claims.unit) return setError(zh.signIn.noUnit);
    setBusy(true);
    setError('');
    const probe = createApi({ getToken: () => token });
    try {
      const org = await probe.getOrganisation();
      setText('');
      onSignIn(token, org);
    } catch (err) {
      if (err.httpStatus === 401) setError(`${zh.signIn.sessionExpired}：${err.message}`);
      else if (err.httpStatus === 0) setError(err.message);
      else {
        setText('');
        onSignIn(token, null);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="signin" data-testid="signin">
      <h1>{zh.signIn.title}</h1>
      <p class="muted">{zh.signIn.intro}</p>
      {notice ? (
        <p class="error" data-testid="signin-notice">
          {notice}
        </p>
      ) : null}
      <form onSubmit={submit}>
        <label for="token">{zh.signIn.label}</label>
        <textarea
          id="token"
          rows={6}
          spellcheck={false}
          autocomplete="off"
          placeholder={zh.signIn.placeholder}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          data-testid="signin-token"
        />
        {error ? (
          <p class="error" data-testid="signin-error">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy || !text.trim()} data-testid="signin-submit">
          {busy ? zh.app.loading : zh.signIn.submit}
        </button>
      </form>
    </div>
  );
}
