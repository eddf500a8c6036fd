// Strategies: each with its on/off switch, signal count, today's P&L and its webhook URL to copy.
import { html, useState } from "../lib.js";
import { getAgents, listStrategies, setStrategyEnabled } from "../api.js";
import { signedMoney } from "../format.js";
import { Badge, Card, CopyField, Empty, ErrorNote, Loading, PageHead, Toggle, usePoll } from "../ui.js";

// Today's realised P&L of a strategy, from its agent's snapshot (split by magic number).
export function pnlToday(strategy, agents) {
  const agent = (agents || []).find((a) => a.id === strategy.agentId);
  if (!agent || !agent.account) return null;
  const v = agent.account.pnlByMagic[String(strategy.magic)];
  return { value: v === undefined ? 0 : v, currency: agent.account.currency };
}

function Row({ s, agents, onChanged }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const toggle = async (on) => {
    setBusy(true);
    setError(null);
    try { await setStrategyEnabled(s.id, on); await onChanged(); } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const pnl = pnlToday(s, agents);
  return html`<article class="strategy" data-testid="strategy-row" data-strategy-id=${s.id}>
    <div class="strategy-head">
      <${Toggle} checked=${s.enabled} disabled=${busy} onChange=${toggle} label=${`Enable ${s.name}`} />
      <div class="strategy-title">
        <a href=${"/strategies/" + s.id} class="strategy-name">${s.name}</a>
        <div class="muted small">#${s.id} · magic ${s.magic} · agent ${s.agentId}
          ${s.halted && html` · <${Badge} status="expired" label="halted (eaoff)" />`}
          ${!s.enabled && html` · <${Badge} status="discarded" label="disabled" />`}</div>
      </div>
      <div class="strategy-stats">
        <div><span class="stat-label">Signals</span><span class="stat-value">${s.signalCount ?? "—"}</span></div>
        <div><span class="stat-label">P&L today</span>
          <span class=${"stat-value " + (pnl && pnl.value > 0 ? "pos" : pnl && pnl.value < 0 ? "neg" : "")}>
            ${pnl ? signedMoney(pnl.value, pnl.currency) : "—"}</span></div>
        <div><span class="stat-label">P&L total</span><span class="stat-value muted" title="Arrives with the trade ledger">—</span></div>
      </div>
      <a class="btn btn-small" href=${"/strategies/" + s.id}>Edit</a>
    </div>
    <${CopyField} value=${s.webhookUrl} label="Copy URL" testid="webhook-url" />
    <${ErrorNote} error=${error} />
  </article>`;
}

export function StrategiesPage() {
  const strategies = usePoll(listStrategies, 5000);
  const agents = usePoll(getAgents, 5000);
  return html`<div class="page">
    <${PageHead} title="Strategies" sub="Each strategy has its own webhook URL: paste it into the TradingView alert."
      actions=${html`<a class="btn btn-primary" href="/strategies/new">New strategy</a>`} />
    <${ErrorNote} error=${strategies.error} />
    <${Card}>
      ${!strategies.data ? html`<${Loading} />`
        : !strategies.data.length ? html`<${Empty} title="No strategies yet.">Create one to get a webhook URL.<//>`
        : html`<div class="strategies">${strategies.data.map((s) => html`<${Row} key=${s.id} s=${s}
            agents=${agents.data} onChanged=${strategies.reload} />`)}</div>`}
    <//>
  </div>`;
}
