// Alert builder: compose the message to paste into TradingView (JSON and PineConnector forms), see what
// tvbridge understands from it, dry-run it (the orders the agent would send now, nothing sent), and send it as a
// test alert through the strategy's real webhook path.
import { html, useEffect, useMemo, useState } from "../lib.js";
import { dryRunAlert, getSignal, listStrategies, parseAlert, sendTestAlert } from "../api.js";
import { lots, price, words } from "../format.js";
import {
  Badge, Card, CopyButton, Empty, ErrorNote, Field, Loading, PageHead, useData,
} from "../ui.js";

const ACTIONS = [
  ["buy", "Buy (market)"], ["sell", "Sell (market)"],
  ["buylimit", "Buy limit"], ["selllimit", "Sell limit"], ["buystop", "Buy stop"], ["sellstop", "Sell stop"],
  ["closelong", "Close longs"], ["closeshort", "Close shorts"], ["closeall", "Close everything (all symbols)"],
];
const OPENS = new Set(["buy", "sell", "buylimit", "selllimit", "buystop", "sellstop"]);
const PENDING = new Set(["buylimit", "selllimit", "buystop", "sellstop"]);

// Sizing and level keys of each message form (docs/alerts.md).
const SIZE_KEYS = {
  default: [null, null], lots: ["lots", "vol_lots"], risk: ["risk", "vol_pct_bal_loss"], money: ["vol_dollar", "vol_dollar"],
};
const LEVEL_KEYS = {
  sl: { pips: ["sl_pips", "sl_pips"], price: ["sl", "sl_price"], pct: ["sl_pct", "sl_pct"] },
  tp: { pips: ["tp_pips", "tp_pips"], price: ["tp", "tp_price"], pct: ["tp_pct", "tp_pct"] },
  entry: { pips: ["entry_pips", "entry_pips"], price: ["entry_price", "entry_price"], pct: ["entry_pct", "entry_pct"] },
};

const INITIAL = {
  action: "buy", symbol: "{{ticker}}", sizeUnit: "lots", size: "0.01", slUnit: "pips", sl: "20", tpUnit: "pips",
  tp: "40", entryUnit: "pips", entry: "10", comment: "", timenow: true,
};

function numberOrNull(text) {
  const t = String(text).trim();
  if (!t) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

// The message in both forms, as lists of [key, value, raw] (raw: a TradingView placeholder left unquoted).
function build(form, licenseId) {
  const params = []; // [jsonKey, pcKey, value]
  if (OPENS.has(form.action)) {
    const [jk, pk] = SIZE_KEYS[form.sizeUnit];
    const size = numberOrNull(form.size);
    if (jk && size !== null) params.push([jk, pk, size]);
    if (PENDING.has(form.action)) {
      const e = numberOrNull(form.entry);
      if (e !== null) params.push([...LEVEL_KEYS.entry[form.entryUnit], e]);
    }
    for (const which of ["sl", "tp"]) {
      const unit = form[which + "Unit"];
      const v = numberOrNull(form[which]);
      if (unit !== "none" && v !== null) params.push([...LEVEL_KEYS[which][unit], v]);
    }
  }
  const symbol = form.symbol.trim() || "{{ticker}}";
  const comment = form.comment.trim().replace(/["\\]/g, "");
  const json = { symbol, action: form.action };
  for (const [jk, , v] of params) json[jk] = v;
  if (comment) json.comment = comment;
  if (form.timenow) json.timenow = "{{timenow}}";
  const pc = [licenseId || "LICENSE_ID", form.action, symbol, ...params.map(([, pk, v]) => `${pk}=${v}`)];
  if (comment) pc.push(`comment="${comment.slice(0, 20)}"`);
  return { json: JSON.stringify(json, null, 0).replace(/,"/g, ', "').replace(/":/g, '": '), pineconnector: pc.join(",") };
}

// A built message with TradingView's placeholders filled in, for a test send.
function fillPlaceholders(message, symbol) {
  return message.replaceAll("{{ticker}}", symbol || "EURUSD").replaceAll("{{timenow}}", new Date().toISOString().slice(0, 19) + "Z");
}

function Select({ id, value, onChange, options }) {
  return html`<select id=${id} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
    ${options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select>`;
}

function Text({ id, value, onChange, numeric = false, placeholder }) {
  return html`<input id=${id} type="text" value=${value} placeholder=${placeholder} autocomplete="off" spellcheck="false"
    inputmode=${numeric ? "decimal" : undefined} onInput=${(e) => onChange(e.currentTarget.value)} />`;
}

function Builder({ form, set }) {
  const opens = OPENS.has(form.action);
  const unitOptions = [["pips", "pips"], ["price", "price"], ["pct", "%"]];
  return html`<div class="fields">
    <${Field} id="b-action" label="Action"><${Select} id="b-action" value=${form.action} onChange=${(v) => set("action", v)} options=${ACTIONS} /><//>
    <${Field} id="b-symbol" label="Symbol" help="{{ticker}}: the chart's symbol, filled in by TradingView.">
      <${Text} id="b-symbol" value=${form.symbol} onChange=${(v) => set("symbol", v)} /><//>
    ${opens && html`
      <${Field} id="b-size" label="Size">
        <div class="inline"><${Select} id="b-size-unit" value=${form.sizeUnit} onChange=${(v) => set("sizeUnit", v)}
          options=${[["lots", "lots"], ["risk", "% of balance at risk"], ["money", "money at risk"], ["default", "strategy default"]]} />
        ${form.sizeUnit !== "default" && html`<${Text} id="b-size" numeric value=${form.size} onChange=${(v) => set("size", v)} />`}</div><//>
      ${PENDING.has(form.action) && html`<${Field} id="b-entry" label="Entry">
        <div class="inline"><${Select} id="b-entry-unit" value=${form.entryUnit} onChange=${(v) => set("entryUnit", v)} options=${unitOptions} />
        <${Text} id="b-entry" numeric value=${form.entry} onChange=${(v) => set("entry", v)} /></div><//>`}
      <${Field} id="b-sl" label="Stop-loss">
        <div class="inline"><${Select} id="b-sl-unit" value=${form.slUnit} onChange=${(v) => set("slUnit", v)} options=${[["none", "none"], ...unitOptions]} />
        ${form.slUnit !== "none" && html`<${Text} id="b-sl" numeric value=${form.sl} onChange=${(v) => set("sl", v)} />`}</div><//>
      <${Field} id="b-tp" label="Take-profit">
        <div class="inline"><${Select} id="b-tp-unit" value=${form.tpUnit} onChange=${(v) => set("tpUnit", v)} options=${[["none", "none"], ...unitOptions]} />
        ${form.tpUnit !== "none" && html`<${Text} id="b-tp" numeric value=${form.tp} onChange=${(v) => set("tp", v)} />`}</div><//>`}
    <${Field} id="b-comment" label="Comment" help="Optional; shown in MT5 (at most 20 characters in PineConnector form).">
      <${Text} id="b-comment" value=${form.comment} onChange=${(v) => set("comment", v)} /><//>
    <${Field} id="b-timenow" label="Fire time" help="Adds {{timenow}}: alerts delayed past the max signal age are refused.">
      <label class="check"><input id="b-timenow" type="checkbox" checked=${form.timenow}
        onChange=${(e) => set("timenow", e.currentTarget.checked)} /> include</label><//>
  </div>`;
}

function Outcome({ signalId }) {
  const [signal, setSignal] = useState(null);
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const s = await getSignal(signalId);
        if (stop) return;
        setSignal(s);
        if (s.status === "pending") setTimeout(tick, 300);
      } catch (e) { if (!stop) setTimeout(tick, 1000); }
    };
    tick();
    return () => { stop = true; };
  }, [signalId]);
  if (!signal) return html`<p class="muted">Sent as signal #${signalId}…</p>`;
  return html`<div class="outcome" data-testid="test-outcome" data-status=${signal.status}>
    <div><${Badge} status=${signal.status} /> <a href=${"/signals/" + signal.id}>Signal #${signal.id}</a></div>
    ${(signal.reason || signal.notes.length > 0) && html`<p>${signal.reason || signal.notes.join(" ")}</p>`}
  </div>`;
}

function DryRun({ result }) {
  const cls = !result.planned ? "parsed parsed-bad" : result.outcome === "executed" ? "parsed parsed-ok" : "parsed parsed-bad";
  return html`<div class=${cls} data-testid="dry-run-result" data-outcome=${result.outcome || "none"}>
    ${result.words.length > 0 && html`<h3>It asks for</h3><ul>${result.words.map((w) => html`<li>${w}</li>`)}</ul>`}
    <h3>${result.planned ? `Planned by the agent '${result.agentId}'` : "No plan"}</h3>
    <p data-testid="dry-run-sentence">${result.sentence}</p>
    ${result.orders.length > 0 && html`<div class="table-wrap"><table class="table" data-testid="dry-run-orders">
      <thead><tr><th class="col-request">Request</th><th>Type</th><th>Symbol</th><th class="num">Lots</th>
        <th class="num">Price</th><th class="num">SL</th><th class="num">TP</th><th>Position</th></tr></thead>
      <tbody>${result.orders.map((o) => html`<tr>
        <td>${o.description}</td><td>${words(o.type)}</td><td>${o.symbol}</td><td class="num">${lots(o.volume)}</td>
        <td class="num">${o.price ? price(o.price) : "market"}</td><td class="num">${price(o.sl)}</td>
        <td class="num">${price(o.tp)}</td><td>${o.position || "—"}</td></tr>`)}</tbody></table></div>`}
    ${result.notes.map((n) => html`<p class="note">${n}</p>`)}
    ${result.warnings.map((w) => html`<p class="note note-warn">${w}</p>`)}
  </div>`;
}

export function AlertBuilderPage() {
  const strategies = useData(listStrategies);
  const [strategyId, setStrategyId] = useState(null);
  const [form, setForm] = useState(INITIAL);
  const [testForm, setTestForm] = useState("json");
  const [testSymbol, setTestSymbol] = useState("EURUSD");
  const [testMessage, setTestMessage] = useState("");
  const [touched, setTouched] = useState(false);
  const [parsed, setParsed] = useState(null);
  const [sent, setSent] = useState(null);
  const [dry, setDry] = useState(null);
  const [dryError, setDryError] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const list = strategies.data || [];
  const strategy = list.find((s) => s.id === strategyId) || list[0] || null;
  const built = useMemo(() => build(form, strategy && strategy.licenseId), [form, strategy]);
  useEffect(() => {
    if (!touched) setTestMessage(fillPlaceholders(testForm === "json" ? built.json : built.pineconnector, testSymbol));
  }, [built, testForm, testSymbol, touched]);
  const set = (key, value) => { setForm({ ...form, [key]: value }); setParsed(null); setDry(null); };

  const check = async () => {
    setBusy(true); setError(null);
    try { setParsed(await parseAlert(strategy.id, testMessage)); } catch (e) { setError(e); } finally { setBusy(false); }
  };
  const dryRun = async () => {
    setBusy(true); setDryError(null); setDry(null);
    try { setDry(await dryRunAlert(strategy.id, testMessage)); } catch (e) { setDryError(e); } finally { setBusy(false); }
  };
  const send = async () => {
    setBusy(true); setError(null); setSent(null);
    try { setSent(await sendTestAlert(strategy.id, testMessage)); } catch (e) { setError(e); } finally { setBusy(false); }
  };

  if (!strategies.data) return html`<div class="page"><${ErrorNote} error=${strategies.error} /><${Loading} /></div>`;
  if (!list.length) return html`<div class="page"><${PageHead} title="Alert builder" /><${Empty} title="No strategy yet.">
    <a href="/strategies/new">Create a strategy</a> first: alerts are sent to a strategy's webhook URL.<//></div>`;
  return html`<div class="page">
    <${PageHead} title="Alert builder" sub="Build the message for TradingView's alert dialog, check it, and try it." />
    <div class="grid-2 grid-builder">
      <${Card} title="1. Build">
        <${Field} id="b-strategy" label="Strategy">
          <${Select} id="b-strategy" value=${String(strategy.id)} onChange=${(v) => { setStrategyId(Number(v)); setParsed(null); setSent(null); setDry(null); }}
            options=${list.map((s) => [String(s.id), `${s.name} (#${s.id})`])} /><//>
        <${Builder} form=${form} set=${set} />
      <//>
      <${Card} title="2. Paste into TradingView">
        <p class="muted small">Webhook URL (Notifications → Webhook URL):</p>
        <div class="copyfield"><code class="copyfield-text">${strategy.webhookUrl}</code><${CopyButton} text=${strategy.webhookUrl} label="Copy URL" /></div>
        <h3>Message, JSON form</h3>
        <div class="message"><pre data-testid="message-json">${built.json}</pre><${CopyButton} text=${built.json} /></div>
        <h3>Message, PineConnector form</h3>
        <div class="message"><pre data-testid="message-pineconnector">${built.pineconnector}</pre><${CopyButton} text=${built.pineconnector} /></div>
        ${!strategy.licenseId && html`<p class="muted small">LICENSE_ID: put your PineConnector License ID there, or any
          number: this strategy does not check it.</p>`}
      <//>
    </div>
    <${Card} title="3. Try it">
      <div class="fields">
        <${Field} id="t-form" label="Send the"><${Select} id="t-form" value=${testForm} onChange=${(v) => { setTestForm(v); setTouched(false); }}
          options=${[["json", "JSON form"], ["pineconnector", "PineConnector form"]]} /><//>
        <${Field} id="t-symbol" label="with {{ticker}} as"><${Text} id="t-symbol" value=${testSymbol} onChange=${(v) => { setTestSymbol(v); setTouched(false); }} /><//>
      </div>
      <${Field} id="t-message" label="Test message (as TradingView would post it)" wide=${true}
        help=${touched ? html`Edited by hand. <button type="button" class="linklike" onClick=${() => setTouched(false)}>Rebuild from the form</button>` : "Placeholders filled in with test values."}>
        <textarea id="t-message" rows="3" spellcheck="false" value=${testMessage}
          onInput=${(e) => { setTestMessage(e.currentTarget.value); setTouched(true); setParsed(null); setDry(null); }}></textarea><//>
      <div class="form-actions">
        <button type="button" class="btn" disabled=${busy || !testMessage.trim()} onClick=${check}>Check what it means</button>
        <button type="button" class="btn btn-primary" disabled=${busy || !testMessage.trim()} onClick=${send}
          data-testid="send-test">Send as test alert</button>
        <span class="muted small">A test alert is traded like a real one${strategy.agentId === "default" ? " (on this PC's agent)" : ""}.</span>
      </div>
      <${ErrorNote} error=${error} />
      ${parsed && html`<div class=${"parsed " + (parsed.accepted ? "parsed-ok" : "parsed-bad")} data-testid="parsed">
        <h3>${parsed.accepted ? `Understood (${parsed.format} format)` : "Refused"}</h3>
        ${parsed.refusal && html`<p class="reason-bad">${parsed.refusal}</p>`}
        ${parsed.words.length > 0 && html`<ul>${parsed.words.map((w) => html`<li>${w}</li>`)}</ul>`}
        ${parsed.warnings.map((w) => html`<p class="note note-warn">${w}</p>`)}
      </div>`}
      ${sent && (sent.signalId ? html`<${Outcome} signalId=${sent.signalId} key=${sent.signalId} />`
        : html`<p class="note note-warn">The webhook ignored it (status ${sent.status}).</p>`)}
    <//>
    <${Card} title="4. What would this alert do now?">
      <div data-testid="dry-run">
        <p class="muted small">The agent plans the test message above against your live account (symbol mapping,
          volume rounding, stop levels, the positions it would close) and sends nothing.</p>
        <div class="form-actions">
          <button type="button" class="btn" disabled=${busy || !testMessage.trim()} onClick=${dryRun}
            data-testid="dry-run-button">Dry run</button>
          ${busy && html`<span class="muted small">Asking the agent…</span>`}
        </div>
        <${ErrorNote} error=${dryError} />
        ${dry && html`<${DryRun} result=${dry} />`}
      </div>
    <//>
  </div>`;
}
