// Security: this browser's session, and (with a later version) refused senders: alerts to unknown or rotated
// webhook URLs, counted and listed without their secrets.
import { html } from "../lib.js";
import { Card, PageHead } from "../ui.js";

export function SecurityPage() {
  return html`<div class="page">
    <${PageHead} title="Security" sub="Who tried to reach tvbridge, and how this dashboard is protected." />
    <${Card} title="Refused senders" className="card-placeholder">
      <div class="placeholder" data-testid="security-placeholder">
        <strong>Not available yet.</strong>
        <p>Alerts posted to an unknown or rotated webhook URL, and other refused senders, will be counted and
          listed here (never showing a secret), so a wrong URL pasted into TradingView is easy to spot. Until
          then tvbridge's log counts them ("webhook for an unknown secret").</p>
      </div>
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
