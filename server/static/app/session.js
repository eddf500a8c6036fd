// The dashboard session's CSRF token. The session itself is an HttpOnly cookie this script cannot read; the
// token is sent in the X-CSRF-Token header of every API request (server/dashboard/sessions.py explains why
// both are needed). localStorage is per origin (scheme, host and port), so only pages of the admin listener
// can read it.
const KEY = "tvbridge.csrf";

export function csrfToken() {
  try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
}
export function rememberSession(token) { window.localStorage.setItem(KEY, token); }
export function forgetSession() {
  try { window.localStorage.removeItem(KEY); } catch (e) { /* storage disabled: nothing to forget */ }
}

// The sign-in code of a link (/sign-in#code=... or, from older links, ?code=...); removes it from the address
// bar and from this tab's history at once, before it is used.
export function takeSignInCode() {
  const fromHash = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("code");
  const fromQuery = new URLSearchParams(window.location.search).get("code");
  const code = fromHash || fromQuery;
  if (code || window.location.pathname === "/sign-in") window.history.replaceState(null, "", "/");
  return code;
}
