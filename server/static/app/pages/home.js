// Home: is everything working, the accounts, today's P&L, pause/resume, and the latest signals (live).
import { html, useState } from "../lib.js";
import { getAgents, getSettings, getStatus, getTunnel, listSignals, setPaused } from "../api.js";
import { ago, lots, money, signedMoney, time, words } from "../format.js";
import { Badge, Card, CopyField, Dot, Empty, ErrorNote, PageHead, usePoll } from "../ui.js";
import { AwaitingApproval } from "./approval.js";

const POLL_MS = 2000;

function StatusPanel({ status, settings, onPauseChange }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const paused = settings && settings.paused;
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try { await setPaused(!paused); await onPauseChange(); } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const state = status ? status.state : "unknown";
  const title = { running: "Running", degraded: "Degraded", stopped: "Stopped", unknown: "Status unknown" }[state];
  return html`<section class=${"status-panel status-" + state} data-testid="app-status" data-state=${state}>
    <div class="status-main">
      <${Dot} status=${state} />
      <div>
        <div class="status-title">${title}</div>
        ${status && status.reasons.length
          ? html`<ul class="status-reasons">${status.reasons.map((r) => html`<li>${r}</li>`)}</ul>`
          : html`<p class="status-ok">Alerts arrive, are logged and are traded.</p>`}
      </div>
    </div>
    <div class="status-side">
      <div class=${"trading-state " + (paused ? "is-paused" : "is-live")} data-testid="trading-state">
        ${paused ? "Trading paused: every alert is discarded" : "Trading active"}
      </div>
      <button type="button" class=${"btn " + (paused ? "btn-primary" : "btn-warn")} disabled=${busy || !settings}
        onClick=${toggle} data-testid="pause-button">${paused ? "Resume trading" : "Pause all trading"}</button>
      <${ErrorNote} error=${error} />
    </div>
  </section>`;
}

function Kpis({ agents, signals }) {
  const accounts = (agents || []).map((a) => a.account).filter(Boolean);
  const cur = accounts.length ? accounts[0].currency : "";
  const sum = (f) => accounts.reduce((t, a) => t + (f(a) || 0), 0);
  const balance = sum((a) => a.balance);
  const equity = sum((a) => a.equity);
  const realized = sum((a) => a.realizedToday);
  const floating = equity - balance;
  const today = new Date().toDateString();
  const todays = (signals || []).filter((s) => new Date(s.createdAt).toDateString() === today);
  const executed = todays.filter((s) => s.status === "executed").length;
  const tone = (v) => (v > 0 ? "pos" : v < 0 ? "neg" : "");
  if (!accounts.length) {
    return html`<div class="kpis"><div class="kpi kpi-wide"><span class="kpi-label">Account</span>
      <span class="kpi-value muted">No agent has reported an account yet.</span></div></div>`;
  }
  return html`<div class="kpis" data-testid="kpis">
    <div class="kpi"><span class="kpi-label">Balance</span><span class="kpi-value">${money(balance, cur)}</span></div>
    <div class="kpi"><span class="kpi-label">Equity</span><span class="kpi-value">${money(equity, cur)}</span></div>
    <div class="kpi"><span class="kpi-label">Today's P&L (closed)</span>
      <span class=${"kpi-value " + tone(realized)} data-testid="pnl-today">${signedMoney(realized, cur)}</span></div>
    <div class="kpi"><span class="kpi-label">Open P&L</span>
      <span class=${"kpi-value " + tone(floating)}>${signedMoney(floating, cur)}</span></div>
    <div class="kpi"><span class="kpi-label">Executed today</span>
      <span class="kpi-value">${executed}<span class="kpi-of"> of ${todays.length} recent</span></span></div>
  </div>`;
}

function Agents({ agents }) {
  if (!agents) return null;
  if (!agents.length) {
    return html`<${Empty} title="No agent has connected yet.">The agent starts with tvbridge and connects within
      seconds. If it does not, see the log folder (tray menu) or run <code>tvbridge doctor</code>.<//>`;
  }
  return html`<div class="table-wrap"><table class="table" data-testid="agents">
    <thead><tr><th>Agent</th><th>Account</th><th class="num hide-narrow">Balance</th><th class="num hide-narrow">Equity</th>
      <th>AutoTrading</th><th>Last contact</th></tr></thead>
    <tbody>${agents.map((a) => {
      const acc = a.account;
      const connected = a.terminalConnected !== false;
      return html`<tr>
        <td><strong>${a.id}</strong><div class="muted small">${a.broker === "sim" ? "simulator (paper)" : a.broker || ""}</div></td>
        <td>${acc ? html`${acc.login ?? "—"}<div class="muted small">${acc.server || ""}</div>` : "—"}</td>
        <td class="num hide-narrow">${acc ? money(acc.balance, acc.currency) : "—"}</td>
        <td class="num hide-narrow">${acc ? money(acc.equity, acc.currency) : "—"}</td>
        <td>${!connected ? html`<${Badge} status="failed" label="terminal offline" />`
          : a.autoTrading === false ? html`<${Badge} status="expired" label="off" />`
          : html`<${Badge} status="executed" label="on" />`}
          ${a.lastError && html`<div class="muted small">${a.lastError}</div>`}</td>
        <td title=${a.lastSeen || ""}>${ago(a.lastSeen)}</td>
      </tr>`;
    })}</tbody></table></div>`;
}

function Tunnel({ tunnel }) {
  if (!tunnel) return null;
  return html`<div class="tunnel" data-testid="tunnel">
    <div class="tunnel-state"><${Badge} status=${tunnel.state} /> <span>${tunnel.reason || ""}</span></div>
    ${tunnel.publicUrl ? html`<${CopyField} value=${tunnel.publicUrl} />`
      : html`<p class="muted small">Without a tunnel TradingView cannot reach this PC. Set an ngrok authtoken with${" "}
        <code>tvbridge secret set ngrok-authtoken</code> and restart tvbridge.</p>`}
  </div>`;
}

export function SignalRows({ signals, showStrategy = true }) {
  return html`<div class="table-wrap"><table class="table table-signals" data-testid="signals-table">
    <thead><tr><th>#</th><th>Time</th>${showStrategy && html`<th>Strategy</th>`}<th>Symbol</th><th>Action</th>
      <th class="num">Lots</th><th>Outcome</th><th class="col-reason">Reason</th></tr></thead>
    <tbody>${signals.map((s) => html`<tr data-signal-id=${s.id}>
      <td><a href=${"/signals/" + s.id}>${s.id}</a></td>
      <td class="nowrap" title=${s.createdAt}>${time(s.createdAt)}</td>
      ${showStrategy && html`<td class="ellipsis">${s.strategyName || "—"}</td>`}
      <td>${s.symbol || "—"}</td>
      <td class="nowrap">${words(s.action)}</td>
      <td class="num">${lots(s.volume)}</td>
      <td><${Badge} status=${s.status} /></td>
      <td class="col-reason"><span class="reason">${s.reason || s.notes.join(" ") || ""}</span></td>
    </tr>`)}</tbody>
  </table></div>`;
}

export function HomePage() {
  const status = usePoll(getStatus, POLL_MS);
  const settings = usePoll(getSettings, POLL_MS);
  const agents = usePoll(getAgents, POLL_MS);
  const tunnel = usePoll(getTunnel, 5000);
  const signals = usePoll(() => listSignals({}, 12).then((p) => p.items), POLL_MS);
  const reloadAll = async () => { await Promise.all([settings.reload(), status.reload()]); };
  return html`<div class="page">
    <${PageHead} title="Home" sub="Everything at a glance. Updates every 2 seconds." />
    <${ErrorNote} error=${status.error} />
    <${StatusPanel} status=${status.data} settings=${settings.data} onPauseChange=${reloadAll} />
    <${Kpis} agents=${agents.data} signals=${signals.data} />
    <${AwaitingApproval} />
    <div class="grid-2">
      <${Card} title="Agents (MT5 terminals)"><${Agents} agents=${agents.data} /><//>
      <${Card} title="Tunnel"><${Tunnel} tunnel=${tunnel.data} /><//>
    </div>
    <${Card} title="Latest signals" actions=${html`<span class="live"><span class="live-dot"></span>live</span>
      <a class="btn btn-small" href="/signals">All signals</a>`}>
      ${signals.data && signals.data.length ? html`<${SignalRows} signals=${signals.data} />`
        : signals.data && html`<${Empty} title="No alerts received yet.">Copy a strategy's webhook URL into a
          TradingView alert, or try one now in the <a href="/alerts">Alert builder</a>.<//>`}
    <//>
  </div>`;
}
