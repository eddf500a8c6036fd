// Shared pieces of the dashboard: data hooks and small components. Everything renders through Preact, which
// sets text as text: nothing here (or anywhere in the app) writes HTML from data.
import { html, useCallback, useEffect, useRef, useState } from "./lib.js";
import { ms, words } from "./format.js";

// Loads data now and every `intervalMs` (paused while the tab is hidden); `deps` restart it.
export function usePoll(load, intervalMs, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const alive = useRef(true);
  const run = useCallback(async () => {
    try {
      const data = await load();
      if (alive.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (alive.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    alive.current = true;
    run();
    let timer = null;
    if (intervalMs) {
      timer = setInterval(() => { if (!document.hidden) run(); }, intervalMs);
    }
    return () => { alive.current = false; if (timer) clearInterval(timer); };
  }, [run]);
  return { ...state, reload: run };
}

export const useData = (load, deps = []) => usePoll(load, 0, deps);

export function Card({ title, actions, children, className = "", id }) {
  return html`<section class=${"card " + className} id=${id}>
    ${(title || actions) && html`<header class="card-head"><h2>${title}</h2>${actions && html`<div class="card-actions">${actions}</div>`}</header>`}
    <div class="card-body">${children}</div>
  </section>`;
}

export function Empty({ title, children }) {
  return html`<div class="empty"><strong>${title}</strong>${children && html`<div>${children}</div>`}</div>`;
}

export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<div class="note note-error" role="alert">${error.message || String(error)}</div>`;
}

export function Loading() { return html`<div class="loading" aria-busy="true">Loading…</div>`; }

const STATUS_CLASS = {
  executed: "ok", pending: "wait", awaiting_approval: "warn", rejected: "bad", failed: "bad", discarded: "muted", duplicate: "muted",
  expired: "warn", running: "ok", degraded: "warn", stopped: "bad", unknown: "muted", online: "ok",
  disabled: "muted", starting: "wait", reconnecting: "warn", error: "bad",
};

export function Badge({ status, label }) {
  return html`<span class=${"badge badge-" + (STATUS_CLASS[status] || "muted")} data-status=${status}>${label || words(status)}</span>`;
}

export function Dot({ status }) {
  return html`<span class=${"dot dot-" + (STATUS_CLASS[status] || "muted")} aria-hidden="true"></span>`;
}

async function writeClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

export function CopyButton({ text, label = "Copy", title }) {
  const [state, setState] = useState("idle");
  const copy = async () => {
    try { await writeClipboard(text); setState("done"); } catch (e) { setState("failed"); }
    setTimeout(() => setState("idle"), 1600);
  };
  const shown = state === "done" ? "Copied" : state === "failed" ? "Select and copy" : label;
  return html`<button type="button" class=${"btn btn-small " + (state === "done" ? "btn-done" : "")}
    title=${title || "Copy to the clipboard"} onClick=${copy}>${shown}</button>`;
}

// A URL or secret shown in one line, with a Copy button beside it.
export function CopyField({ value, label = "Copy", testid }) {
  return html`<div class="copyfield" data-testid=${testid}>
    <code class="copyfield-text" title=${value}>${value}</code><${CopyButton} text=${value} label=${label} />
  </div>`;
}

export function Toggle({ checked, onChange, label, disabled }) {
  return html`<label class="toggle">
    <input type="checkbox" role="switch" checked=${checked} disabled=${disabled}
      onChange=${(e) => onChange(e.currentTarget.checked)} aria-label=${label} />
    <span class="toggle-track"><span class="toggle-thumb"></span></span>
  </label>`;
}

// A button that asks for a second click ("Rotate" -> "Really rotate? Yes / Cancel") before acting.
export function ConfirmButton({ label, question, confirmLabel = "Yes", onConfirm, danger = false, disabled }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return html`<button type="button" class=${"btn " + (danger ? "btn-danger-outline" : "")} disabled=${disabled}
      onClick=${() => setAsking(true)}>${label}</button>`;
  }
  const yes = async () => {
    setBusy(true);
    try { await onConfirm(); } finally { setBusy(false); setAsking(false); }
  };
  return html`<span class="confirm" role="group">
    <span class="confirm-q">${question}</span>
    <button type="button" class=${"btn " + (danger ? "btn-danger" : "btn-primary")} disabled=${busy} onClick=${yes}>${confirmLabel}</button>
    <button type="button" class="btn" onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

// Received -> acknowledged -> first order sent -> filled, drawn to scale.
export function TimingBar({ timings }) {
  const steps = [
    ["Acknowledged", timings.ackMs, "ack"],
    ["Order sent", timings.sendMs, "send"],
    ["Filled", timings.fillMs, "fill"],
  ];
  const known = steps.filter(([, v]) => v !== null && v !== undefined);
  if (!known.length) return html`<p class="muted">No timings: nothing was sent to the terminal.</p>`;
  const total = Math.max(...known.map(([, v]) => v), 1);
  let prev = 0;
  const segments = known.map(([label, v, cls]) => {
    const width = Math.max(((v - prev) / total) * 100, 0.8);
    const seg = { label, v, cls, width, delta: v - prev };
    prev = v;
    return seg;
  });
  return html`<div class="timing" data-testid="timings">
    <div class="timing-bar" role="img" aria-label=${"Timings: " + known.map(([l, v]) => `${l} at ${ms(v)}`).join(", ")}>
      ${segments.map((s) => html`<span class=${"timing-seg timing-" + s.cls} style=${{ width: s.width + "%" }}
        title=${`${s.label}: +${ms(s.delta)}`}></span>`)}
    </div>
    <ol class="timing-legend">
      <li><span class="timing-key timing-recv"></span>Received <strong>0 ms</strong></li>
      ${segments.map((s) => html`<li><span class=${"timing-key timing-" + s.cls}></span>${s.label}${" "}<strong>${ms(s.v)}</strong> <span class="muted">(+${ms(s.delta)})</span></li>`)}
    </ol>
  </div>`;
}

// A labelled form field; `error` is the sentence shown beside it.
export function Field({ id, label, help, error, children, wide = false }) {
  return html`<div class=${"field " + (error ? "field-invalid " : "") + (wide ? "field-wide" : "")}>
    <label for=${id}>${label}</label>
    ${children}
    ${error ? html`<p class="field-error" id=${id + "-error"} role="alert">${error}</p>`
      : help && html`<p class="field-help">${help}</p>`}
  </div>`;
}

export function PageHead({ title, sub, actions }) {
  return html`<div class="page-head">
    <div><h1>${title}</h1>${sub && html`<p class="page-sub">${sub}</p>`}</div>
    ${actions && html`<div class="page-actions">${actions}</div>`}
  </div>`;
}
