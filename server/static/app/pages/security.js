// Security: refused senders (alerts to unknown or rotated URLs, missing or wrong secrets, wrong License IDs, bad
// signatures, rate-limit hits), counted and listed without their secrets, and how this dashboard is protected.
// Everything a sender wrote (a strategy name it asked for) is rendered as text by Preact, never as HTML.
import { html, useState } from "../lib.js";
import { getSecuritySummary, listSecurityEvents } from "../api.js";
import { dateTime, plural, time } from "../format.js";
import { Card, Empty, ErrorNote, Loading, PageHead, usePoll } from "../ui.js";

const KIND_HELP = {
  unknown_url: "A per-strategy URL no strategy has: an old URL after Rotate secret, a deleted strategy, or a guess.",
  missing_secret: "The universal URL without a secret: a License ID or a name alone does not route.",
  unknown_secret: "The universal URL with a secret no strategy has, or not with the strategy name given.",
  wrong_alert_secret: "The strategy was reached, but secret= differs from its alert secret.",
  wrong_license_id: "The strategy was reached, but the PineConnector License ID differs or is empty.",
  bad_signature: "The strategy requires signed alerts; the signature was missing, wrong, old or replayed.",
  rate_limited: "Over a strategy's rate limit, or too many unknown URLs from one address.",
};

function Summary({ summary }) {
  const minutes = Math.round(summary.windowSeconds / 60);
  return html`<div data-testid="security-summary">
    <p class="muted small">Last ${summary.hours} hours: ${plural(summary.total, "refused request")}. A notification
      is raised when ${summary.threshold} of one kind arrive within ${minutes} minutes. Rows are kept${" "}
      ${summary.retentionDays} days.</p>
    ${summary.alarms.length > 0 && html`<ul class="words" data-testid="security-alarms">
      ${summary.alarms.map((a) => html`<li><strong>${time(a.at)}</strong> ${a.message}</li>`)}
    </ul>`}
    <div class="table-wrap"><table class="table">
      <thead><tr><th>What</th><th class="num">Requests</th><th>Last</th></tr></thead>
      <tbody>${summary.byKind.map((k) => html`<tr data-kind=${k.kind}>
        <td><strong>${k.words}</strong><div class="muted small">${KIND_HELP[k.kind] || ""}</div></td>
        <td class="num">${k.count}</td><td>${k.lastAt ? time(k.lastAt) : "—"}</td></tr>`)}</tbody>
    </table></div>
  </div>`;
}

function EventRows({ rows }) {
  if (!rows.length) return html`<${Empty} title="No refused senders">Alerts to unknown URLs, wrong secrets and
    signatures, and rate-limit hits appear here within a second.<//>`;
  return html`<div class="table-wrap"><table class="table" data-testid="security-events">
    <thead><tr><th>Minute</th><th>What</th><th class="num">Requests</th><th>Source</th><th>Strategy</th>
      <th>Secret tried</th><th>Detail</th></tr></thead>
    <tbody>${rows.map((e) => html`<tr key=${e.id} data-kind=${e.kind}>
      <td title=${`${dateTime(e.firstAt)} – ${dateTime(e.lastAt)}`}>${time(e.minute)}</td>
      <td>${e.words}<div class="muted small"><code>${e.endpoint}</code></div></td>
      <td class="num">${e.count}</td>
      <td><code>${e.source}</code></td>
      <td>${e.strategyId ? html`<a href=${"/strategies/" + e.strategyId}>${e.strategyName || "#" + e.strategyId}</a>` : "—"}</td>
      <td>${e.fingerprint ? html`<code title="A keyed fingerprint: the same for the same secret, never the secret">fp ${e.fingerprint}</code>` : "—"}</td>
      <td class="ellipsis" title=${e.detail || ""}>${e.detail || "—"}</td>
    </tr>`)}</tbody>
  </table></div>`;
}

export function SecurityPage() {
  const [kind, setKind] = useState("");
  const summary = usePoll(() => getSecuritySummary(24), 5000);
  const events = usePoll(() => listSecurityEvents({ kind }, 100), 5000, [kind]);
  return html`<div class="page">
    <${PageHead} title="Security" sub="Who tried to reach tvbridge, and how this dashboard is protected." />
    <${Card} title="Refused senders" id="refused">
      <${ErrorNote} error=${summary.error || events.error} />
      ${summary.data ? html`<${Summary} summary=${summary.data} />` : html`<${Loading} />`}
      <div class="filters"><label class="small" for="sec-kind">Show</label>
        <select id="sec-kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
          <option value="">every kind</option>
          ${Object.keys(KIND_HELP).map((k) => html`<option value=${k}>${k.replace(/_/g, " ")}</option>`)}
        </select></div>
      ${events.data ? html`<${EventRows} rows=${events.data} />` : html`<${Loading} />`}
      <p class="muted small">Secrets are never stored: "secret tried" is a short keyed fingerprint, the same each time
        one wrong secret is tried (an old URL still in a TradingView alert) and different for each guess. The source is
        the address that reached the tunnel.</p>
    <//>
    <${Card} title="Who may trade">
      <ul class="words">
        <li>Each strategy's webhook URL carries its secret; Rotate secret on the strategy's page issues a new one.</li>
        <li>The universal URL trades only when the alert carries a strategy's secret (<code>secret</code> or${" "}
          <code>api_sec</code>); a License ID or a name alone never trades.</li>
        <li>Tools that can sign (TradingView cannot) can be required to send an <code>X-TVBridge-Signature</code>:
          set a signing secret in the strategy's settings.</li>
        <li>Each strategy has a rate limit (alerts a second and a minute); alerts over it are logged as discarded.</li>
      </ul>
    <//>
    <${Card} title="This dashboard">
      <ul class="words">
        <li>You signed in with a one-time link; this browser holds a session that ends after 12 hours without use,
          when you sign out, or when tvbridge stops.</li>
        <li>Other web pages cannot act through your session: every change must come from this page itself.</li>
        <li>The admin listener answers only on this PC (127.0.0.1). Webhooks arrive on a separate listener that
          serves nothing else.</li>
        <li>Scripts and the CLI use the admin token (the <code>admin-token</code> file in the data folder) in an${" "}
          <code>Authorization: Bearer</code> header; it is never accepted in a URL.</li>
      </ul>
    <//>
  </div>`;
}
