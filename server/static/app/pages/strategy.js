// One strategy: every setting, grouped; its webhook URL; rotate the secret; delete. Also "New strategy".
import { html, useEffect, useState } from "../lib.js";
import {
  CONTROL_DEFAULTS, STRATEGY_FIELDS, STRATEGY_GROUPS, createStrategy, deleteStrategy, getStrategy, rotateSecret,
  updateStrategy,
} from "../api.js";
import { navigate } from "../router.js";
import { Card, ConfirmButton, CopyField, ErrorNote, Field, Loading, PageHead, Toggle } from "../ui.js";

const NEW_DEFAULTS = {
  name: "", is_enabled: true, agent_id: "default", volume_type: "lots", default_volume: 0.01,
  target_type: "pips", entry_type: "pips", max_signal_age_seconds: 300, dedup_window_seconds: 60,
  allowed_pairs: [], symbol_map: {}, pip_sizes: {}, dialects: [], trading_halted: false,
  tp_split: [],
  rate_limit_per_second: 50, rate_limit_per_minute: 600, signing_secret: { set: false },
  require_approval: false, accounts: [],
  ...CONTROL_DEFAULTS,
};

// A fresh random signing secret (32 bytes, URL-safe base64, like the server's webhook secrets).
function randomSecret() {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// API value -> what the input shows.
function toInput(field, value) {
  switch (field.kind) {
    case "secret": return { set: !!(value && value.set), text: "", remove: false, generated: false };
    case "bool": return !!value;
    case "list": case "numberlist": return (value || []).join(", ");
    case "map": case "numbermap":
      return Object.entries(value || {}).map(([k, v]) => `${k}=${v}`).join("\n");
    case "accounts": return (value || []).map((a) => `${a.agent_id}=${a.volume_multiplier}`).join("\n");
    default: return value === null || value === undefined ? "" : String(value);
  }
}

// Input -> API value, or throws a sentence for the field.
function fromInput(field, raw) {
  if (field.kind === "bool") return !!raw;
  if (field.kind === "secret") {
    // write-only: empty means unchanged; "remove" sends null
    if (raw.remove) return raw.set ? null : undefined;
    const secret = String(raw.text || "").trim();
    if (!secret) return undefined;
    if (secret.length < 16) throw new Error("Use at least 16 characters (or Generate one).");
    return secret;
  }
  const text = String(raw ?? "").trim();
  if (field.kind === "list") return text ? text.split(/[,\n]/).map((p) => p.trim()).filter(Boolean) : [];
  if (field.kind === "accounts") {  // "agent=multiplier" lines -> [{agent_id, volume_multiplier}]
    return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
      const [agent, m, extra] = line.split("=").map((p) => p.trim());
      const n = m === undefined || m === "" ? 1 : Number(m.replace(",", "."));
      if (!agent || extra !== undefined || !Number.isFinite(n) || n <= 0) {
        throw new Error(`Each line must look like prop-firm=0.5 (agent id=volume multiplier; this one is "${line}").`);
      }
      return { agent_id: agent, volume_multiplier: n };
    });
  }
  if (field.kind === "numberlist") {
    const parts = text ? text.split(/[,\s]+/).filter(Boolean) : [];
    const numbers = parts.map(Number);
    if (numbers.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error("Enter positive numbers, such as 50, 30, 20.");
    return numbers;
  }
  if (field.kind === "map" || field.kind === "numbermap") {
    const out = {};
    for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const [k, v, extra] = line.split("=").map((p) => p.trim());
      if (!k || v === undefined || v === "" || extra !== undefined) {
        throw new Error(field.kind === "map" ? `Each line must look like NAS100=USTEC (this one is "${line}").`
          : `Each line must look like XAUUSD=0.1 (this one is "${line}").`);
      }
      if (field.kind === "numbermap") {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new Error(`The pip size for ${k} must be a positive number.`);
        out[k] = n;
      } else {
        out[k] = v;
      }
    }
    return out;
  }
  if (!text) {
    if (field.required) throw new Error("Required.");
    return field.nullable ? null : undefined;
  }
  if (field.kind === "number" || field.kind === "int") {
    const n = Number(text.replace(",", "."));
    if (!Number.isFinite(n)) throw new Error("Enter a number.");
    if (field.kind === "int" && !Number.isInteger(n)) throw new Error("Enter a whole number.");
    return n;
  }
  return text;
}

function Input({ field, value, onInput, error }) {
  const id = "f-" + field.key;
  const common = { id, name: field.key, "aria-invalid": error ? "true" : undefined,
    "aria-describedby": error ? id + "-error" : undefined };
  let control;
  if (field.kind === "bool") {
    control = html`<div><${Toggle} checked=${value} onChange=${(v) => onInput(v)} label=${field.label} /></div>`;
  } else if (field.kind === "secret") {
    control = html`<div class="secret-field" data-testid=${"secret-" + field.key}>
      <p class="small"><span class=${"badge " + (value.set ? "badge-ok" : "badge-muted")}>${value.set ? "set" : "not set"}</span></p>
      <div class="inline">
        <input ...${common} type=${value.generated ? "text" : "password"} autocomplete="new-password" spellcheck="false"
          value=${value.text} placeholder=${value.set ? "type a new one to replace it" : "16 characters or more"}
          onInput=${(e) => onInput({ ...value, text: e.currentTarget.value, generated: false, remove: false })} />
        <button type="button" class="btn btn-small"
          onClick=${() => onInput({ ...value, text: randomSecret(), generated: true, remove: false })}>Generate</button>
      </div>
      ${value.generated && html`<p class="note note-warn small">Copy this secret into the sending tool now: after saving,
        tvbridge shows only that one is set.</p>`}
      ${value.set && html`<label class="check small"><input type="checkbox" checked=${value.remove}
        onChange=${(e) => onInput({ ...value, remove: e.currentTarget.checked, text: "" })} /> Remove it (alerts need
        no signature again)</label>`}
    </div>`;
  } else if (field.kind === "select") {
    control = html`<select ...${common} value=${value} onChange=${(e) => onInput(e.currentTarget.value)}>
      ${field.options.map(([v, label]) => html`<option value=${v}>${label}</option>`)}</select>`;
  } else if (field.kind === "map" || field.kind === "numbermap" || field.kind === "accounts") {
    control = html`<textarea ...${common} rows="3" spellcheck="false" value=${value}
      onInput=${(e) => onInput(e.currentTarget.value)}></textarea>`;
  } else {
    const numeric = field.kind === "number" || field.kind === "int";
    control = html`<input ...${common} type="text" inputmode=${numeric ? "decimal" : undefined} autocomplete="off"
      spellcheck="false" value=${value} onInput=${(e) => onInput(e.currentTarget.value)} />`;
  }
  const wide = field.kind === "map" || field.kind === "numbermap" || field.kind === "accounts";
  return html`<${Field} id=${id} label=${field.label} help=${field.help} error=${error} wide=${wide}>${control}<//>`;
}

export function StrategyPage({ id }) {
  const isNew = id === null;
  const [strategy, setStrategy] = useState(null);
  const [values, setValues] = useState(null);
  const [errors, setErrors] = useState({});
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = (s) => {
    setStrategy(s);
    setValues(Object.fromEntries(STRATEGY_FIELDS.map((f) => [f.key, toInput(f, s.settings[f.key])])));
  };
  useEffect(() => {
    if (isNew) {
      setValues(Object.fromEntries(STRATEGY_FIELDS.map((f) => [f.key, toInput(f, NEW_DEFAULTS[f.key])])));
      return;
    }
    getStrategy(id).then(load).catch(setError);
  }, [id]);

  const save = async (event) => {
    event.preventDefault();
    setSaved(null);
    setError(null);
    const body = {};
    const fieldErrors = {};
    for (const f of STRATEGY_FIELDS) {
      try {
        const v = fromInput(f, values[f.key]);
        if (v === undefined) continue;
        if (f.writeOnly) { body[f.key] = v; continue; }  // never read back: sent only when typed or removed
        const before = isNew ? undefined : JSON.stringify(strategy.settings[f.key] ?? null);
        if (isNew || JSON.stringify(v) !== before) body[f.key] = v;
      } catch (e) {
        fieldErrors[f.key] = e.message;
      }
    }
    setErrors(fieldErrors);
    if (Object.keys(fieldErrors).length) {
      setError(new Error("Please correct the fields marked below."));
      return;
    }
    setBusy(true);
    try {
      if (isNew) {
        const created = await createStrategy(body);
        navigate("/strategies/" + created.id);
        return;
      }
      if (Object.keys(body).length) load(await updateStrategy(id, body));
      setSaved(Object.keys(body).length ? "Saved. The change applies to the next alert." : "Nothing changed.");
    } catch (e) {
      setErrors(e.fields || {});
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const rotate = async () => {
    try { load(await rotateSecret(id)); setSaved("New webhook URL issued: the old one no longer works. Update your TradingView alerts."); }
    catch (e) { setError(e); }
  };
  const remove = async () => {
    try { await deleteStrategy(id); navigate("/strategies"); } catch (e) { setError(e); }
  };

  if (!values) return html`<div class="page">${error ? html`<${ErrorNote} error=${error} />` : html`<${Loading} />`}</div>`;
  const title = isNew ? "New strategy" : strategy.name;
  return html`<div class="page">
    <${PageHead} title=${title} sub=${isNew ? "Give it a name; every other setting can be changed later."
      : `Strategy #${strategy.id} · magic number ${strategy.magic}`}
      actions=${html`<a class="btn" href="/strategies">Back to strategies</a>`} />
    ${!isNew && html`<${Card} title="Webhook URL" className="card-url">
      <p class="muted small">Paste it into the TradingView alert (Notifications → Webhook URL). It contains a
        secret: treat it like a password.</p>
      <${CopyField} value=${strategy.webhookUrl} label="Copy URL" testid="webhook-url" />
      <div class="row-actions">
        <${ConfirmButton} label="Rotate secret" confirmLabel="Rotate"
          question="Issue a new URL? The old one stops working at once." onConfirm=${rotate} />
        <${ConfirmButton} label="Delete strategy" confirmLabel="Delete" danger=${true}
          question="Delete this strategy and its signal log?" onConfirm=${remove} />
      </div>
    <//>`}
    <form class="form" onSubmit=${save} novalidate>
      <${ErrorNote} error=${error} />
      ${saved && html`<div class="note note-ok" role="status">${saved}</div>`}
      ${STRATEGY_GROUPS.map((g) => html`<${Card} title=${g.title} key=${g.id}>
        <div class="fields">
          ${STRATEGY_FIELDS.filter((f) => f.group === g.id).map((f) => html`<${Input} key=${f.key} field=${f}
            value=${values[f.key]} error=${errors[f.key]}
            onInput=${(v) => setValues({ ...values, [f.key]: v })} />`)}
        </div>
      <//>`)}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy}>${isNew ? "Create strategy" : "Save changes"}</button>
        <a class="btn" href="/strategies">Cancel</a>
      </div>
    </form>
  </div>`;
}
