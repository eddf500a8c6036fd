// The dashboard shell: sign-in, navigation, and the page for the current address.
import { html, render, useEffect, useState } from "./lib.js";
import { exchangeSignInCode, signOut, whenSignedOut } from "./api.js";
import { csrfToken, forgetSession, rememberSession, takeSignInCode } from "./session.js";
import { match, onLinkClick, useLocation } from "./router.js";
import { HomePage } from "./pages/home.js";
import { StrategiesPage } from "./pages/strategies.js";
import { StrategyPage } from "./pages/strategy.js";
import { AlertBuilderPage } from "./pages/alerts.js";
import { SignalsPage } from "./pages/signals.js";
import { SignalPage } from "./pages/signal.js";
import { TradesPage } from "./pages/trades.js";
import { SecurityPage } from "./pages/security.js";
import { SettingsPage } from "./pages/settings.js";

const NAV = [
  ["/", "Home", "home"],
  ["/strategies", "Strategies", "strategies"],
  ["/alerts", "Alert builder", "alerts"],
  ["/signals", "Signals", "signals"],
  ["/trades", "Trades", "trades"],
  ["/security", "Security", "security"],
  ["/settings", "Settings", "settings"],
];
const SECTION = { strategy: "strategies", "strategy-new": "strategies", signal: "signals" };

function SignedOut({ reason }) {
  return html`<main class="signin">
    <div class="signin-card">
      <div class="brand brand-large"><img src="/static/app/favicon.svg" alt="" width="36" height="36" />tvbridge</div>
      <h1>Sign in to the dashboard</h1>
      ${reason && html`<p class="note note-error" role="alert" data-testid="signin-error">${reason}</p>`}
      <p>The dashboard opens with a sign-in link that works once, within a minute:</p>
      <ul>
        <li>in the tray menu, choose <strong>Open dashboard</strong>, or</li>
        <li>in a terminal, run <code>tvbridge dashboard</code>.</li>
      </ul>
      <p class="muted">Scripts and the CLI use the admin token instead (the <code>admin-token</code> file in the data
        folder, sent as <code>Authorization: Bearer</code>). API reference: <a href="/docs">/docs</a>.</p>
    </div>
  </main>`;
}

function SigningIn({ code, onDone }) {
  useEffect(() => {
    exchangeSignInCode(code)
      .then((s) => { rememberSession(s.csrfToken); onDone(null); })
      .catch((e) => onDone(e.message));
  }, [code]);
  return html`<main class="signin"><div class="signin-card"><p>Signing in…</p></div></main>`;
}

function Page({ route }) {
  switch (route.name) {
    case "home": case "signin": return html`<${HomePage} />`;
    case "strategies": return html`<${StrategiesPage} />`;
    case "strategy-new": return html`<${StrategyPage} id=${null} />`;
    case "strategy": return html`<${StrategyPage} id=${route.id} key=${route.id} />`;
    case "alerts": return html`<${AlertBuilderPage} />`;
    case "signals": return html`<${SignalsPage} />`;
    case "signal": return html`<${SignalPage} id=${route.id} key=${route.id} />`;
    case "trades": return html`<${TradesPage} />`;
    case "security": return html`<${SecurityPage} />`;
    case "settings": return html`<${SettingsPage} />`;
    default: return html`<div class="page"><h1>Page not found</h1><p><a href="/">Back to Home</a></p></div>`;
  }
}

function Shell({ route }) {
  const [menuOpen, setMenuOpen] = useState(false);
  const current = SECTION[route.name] || route.name;
  const out = async () => {
    try { await signOut(); } catch (e) { /* already signed out */ }
    forgetSession();
    window.location.assign("/");
  };
  return html`<div class="shell" onClick=${onLinkClick}>
    <nav class=${"nav " + (menuOpen ? "nav-open" : "")} aria-label="Main">
      <div class="nav-top">
        <a href="/" class="brand"><img src="/static/app/favicon.svg" alt="" width="22" height="22" />tvbridge</a>
        <button type="button" class="nav-toggle" aria-expanded=${menuOpen} onClick=${() => setMenuOpen(!menuOpen)}>Menu</button>
      </div>
      <ul class="nav-links" onClick=${() => setMenuOpen(false)}>
        ${NAV.map(([href, label, name]) => html`<li><a href=${href} class=${current === name ? "active" : ""}
          aria-current=${current === name ? "page" : undefined}>${label}</a></li>`)}
      </ul>
      <div class="nav-foot">
        <a href="/docs" target="_blank" rel="noopener noreferrer">API docs</a>
        <button type="button" class="linklike" onClick=${out}>Sign out</button>
      </div>
    </nav>
    <main class="content"><${Page} route=${route} /></main>
  </div>`;
}

// Taken before the first render: the code leaves the address bar and this tab's history at once.
const SIGN_IN_CODE = takeSignInCode();

function App() {
  const loc = useLocation();
  const code = SIGN_IN_CODE;
  const [auth, setAuth] = useState(() => (code ? "signing-in" : csrfToken() ? "in" : "out"));
  const [reason, setReason] = useState(null);
  useEffect(() => whenSignedOut(() => {
    setReason("Your session ended. Open a new sign-in link to continue.");
    setAuth("out");
  }), []);
  if (auth === "signing-in") {
    return html`<${SigningIn} code=${code} onDone=${(err) => { setReason(err); setAuth(err ? "out" : "in"); }} />`;
  }
  if (auth === "out") return html`<${SignedOut} reason=${reason} />`;
  return html`<${Shell} route=${match(loc.path)} />`;
}

render(html`<${App} />`, document.getElementById("app"));
