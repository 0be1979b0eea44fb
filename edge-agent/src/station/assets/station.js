// Station page: one scan field a keyboard-wedge scanner types into (Enter
// ends a scan), buttons for the other steps, a green/red answer with a beep
// for every step. Talks JSON to /stations/{code}/api; never reloads.
"use strict";

const station = decodeURIComponent(location.pathname.split("/")[2] || "");
const api = "/stations/" + encodeURIComponent(station) + "/api";
const $ = (id) => document.getElementById(id);
let view = null;
let queue = Promise.resolve();
let audio = null;

function beep(ok) {
  if (view && view.sound === false) return;
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tones = ok ? [[880, 0, 0.12]] : [[220, 0, 0.2], [180, 0.25, 0.3]];
    for (const [freq, start, length] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = freq;
      gain.gain.value = 0.3;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + start);
      osc.stop(audio.currentTime + start + length);
    }
  } catch (e) { /* no audio device: the colour still tells */ }
}

function showAnswer(ok, message) {
  const el = $("answer");
  el.textContent = message;
  el.className = "answer " + (ok ? "ok" : "err");
  el.dataset.ok = ok ? "true" : "false";
  beep(ok);
}

function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (cls) el.className = cls;
  return el;
}

function row(cells, header) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(text(header ? "th" : "td", c));
  return tr;
}

function fillSelect(select, items, first) {
  const keep = select.value;
  select.replaceChildren(text("option", first));
  select.firstChild.value = "";
  for (const item of items) {
    const opt = text("option", item.text);
    opt.value = item.code;
    select.appendChild(opt);
  }
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

function render(v) {
  view = v;
  document.title = "Station " + v.code;
  $("title").textContent = v.name ? v.name + " (" + v.code + ")" : "Station " + v.code;
  const eq = $("equipment");
  eq.replaceChildren(...v.equipment.map((e) => text("span", e.name + (e.state ? ": " + e.state : ""), e.state || "")));
  const link = $("link");
  const d = v.downlink;
  link.textContent = d.last_error ? "Hub unreachable, working offline (" + d.records + " records cached)"
    : d.records + " records from the hub";
  link.className = "link" + (d.last_error ? " offline" : "");
  const workers = $("workers");
  workers.replaceChildren(...v.workers.map((w) => text("li", w.name + (w.worker_type ? " · " + w.worker_type : ""))));
  if (!v.workers.length) workers.appendChild(text("li", "Nobody clocked in"));
  renderRun(v.run);
  fillSelect($("pause-reason"), v.reasons.pause.concat(v.reasons.downtime), "(no reason)");
  fillSelect($("scrap-reason"), v.reasons.scrap, "choose");
  const downtime = $("downtime");
  downtime.replaceChildren(...v.reasons.downtime.map((r) => {
    const b = text("button", r.text);
    b.type = "button";
    b.dataset.reason = r.code;
    b.addEventListener("click", () => send({ step: "downtime", reason: r.code }));
    return b;
  }));
  const orders = $("orders");
  orders.dataset.planRevision = v.plan_revision == null ? "" : String(v.plan_revision);
  orders.replaceChildren(row(["Order", "Material", "Qty", "Due", "Next op", "Planned"], true),
    ...v.orders.map((o) => {
      const tr = row([o.code, o.material, o.quantity + " " + o.unit, o.due || "", o.next_operation || "-",
        plannedText(o.planned)]);
      tr.dataset.order = o.code;
      if (o.planned) tr.className = o.planned.here ? "planned-here" : "planned-elsewhere";
      return tr;
    }));
}

// "op 20 on press-2, Fri 14:20" in the station's local time.
function plannedText(p) {
  if (!p) return "not planned";
  const at = new Date(p.start);
  const today = new Date().toDateString() === at.toDateString();
  const when = at.toLocaleString([], today ? { hour: "2-digit", minute: "2-digit" }
    : { weekday: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  return "op " + p.operation + " on " + p.equipment + ", " + when;
}

function renderRun(run) {
  const el = $("run");
  const inputs = $("inputs");
  const unit = $("unit");
  if (!run) {
    el.textContent = "No operation: scan an order";
    el.className = "run";
    inputs.replaceChildren();
    unit.replaceChildren(text("option", "planned"));
    unit.firstChild.value = "";
    return;
  }
  el.textContent = run.order + " · op " + run.operation + " " + run.name + " on " + run.equipment +
    (run.paused ? " · PAUSED" : " · running") + " · good " + run.good + " · scrap " + run.scrap;
  el.className = "run" + (run.paused ? " paused" : "");
  inputs.replaceChildren(row(["Material", "Planned", "Consumed"], true),
    ...run.inputs.map((i) => row([i.material + (i.name ? " " + i.name : ""), i.planned + " " + i.unit,
      i.consumed_base + " " + (i.base_unit || "")])));
  const units = [...new Set(run.inputs.flatMap((i) => i.units))];
  fillSelect(unit, units.map((u) => ({ code: u, text: u })), "planned");
}

async function call(method, path, body) {
  const response = await fetch(api + path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(json.error ? json.error.message : response.statusText);
  return json;
}

// Steps go out one at a time, in order, however fast the scanner types.
function send(step) {
  queue = queue.then(async () => {
    try {
      const reply = await call("POST", "/steps", step);
      render(reply.state);
      showAnswer(reply.ok, reply.message);
      if (reply.output_lot) $("output-lot").textContent = "Output lot: " + reply.output_lot;
      return reply;
    } catch (e) {
      showAnswer(false, "No answer from the agent: " + e.message);
    }
  });
  return queue;
}

function decimalOrNull(id) {
  const v = $(id).value.trim().replace(",", ".");
  return v === "" ? null : v;
}

// A keyboard-wedge scanner types the code and then Enter. Enter is handled
// on the field itself: a form with several fields and no submit button is
// never submitted by Enter.
function submitScan() {
  const input = $("scan");
  const code = input.value;
  input.value = "";
  input.focus();
  if (!code.trim()) return;
  const step = { step: "scan", code };
  const qty = decimalOrNull("qty");
  if (qty !== null) step.quantity = qty;
  if ($("unit").value) step.unit = $("unit").value;
  send(step).then((reply) => {
    if (reply && reply.ok && qty !== null) $("qty").value = "";
  });
}
$("scan").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); submitScan(); }
});
$("scan-form").addEventListener("submit", (event) => { event.preventDefault(); submitScan(); });

$("pause").addEventListener("click", () => {
  const reason = $("pause-reason").value;
  send(reason ? { step: "pause", reason } : { step: "pause" });
});
$("resume").addEventListener("click", () => send({ step: "resume" }));
$("finish").addEventListener("click", () => send({ step: "finish" }));
$("report").addEventListener("click", () => {
  const step = { step: "output", good: decimalOrNull("good") || "0", scrap: decimalOrNull("scrap") || "0" };
  if ($("scrap-reason").value) step.scrap_reason = $("scrap-reason").value;
  send(step).then((reply) => {
    if (reply && reply.ok) { $("good").value = "0"; $("scrap").value = "0"; }
  });
});

// Keep the scan field focused so a keyboard-wedge scanner always types
// into it, except while the operator edits another field.
document.addEventListener("click", (event) => {
  const tag = event.target.tagName;
  if (tag !== "INPUT" && tag !== "SELECT") $("scan").focus();
});
for (const id of ["qty", "good", "scrap"]) {
  $(id).addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); $("scan").focus(); }
  });
}

async function refresh() {
  try { render(await call("GET", "/state")); } catch (e) { /* shown on the next step */ }
}
refresh();
setInterval(refresh, 5000);
