// The console's one script. Written for this product; no third-party code.
// Pages are rendered on the server; this script only
//  - logs in and out through the REST API,
//  - sends every change a page offers to the REST API with the session's
//    CSRF token (forms and buttons marked data-api), showing the API's
//    error (its message and field) in the page,
//  - keeps live pages current from server-sent events (data-live),
//  - lets a planner drag bars of the planning board into a what-if,
//  - switches the language.
// It never builds HTML from user input: live fragments come rendered and
// escaped from the server.
"use strict";

(function () {
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function showError(box, message) {
    if (!box) { return; }
    box.textContent = message;
    box.hidden = !message;
  }

  function apiError(response, body) {
    var e = body && body.error;
    if (e && e.message) {
      return e.field ? e.field + ": " + e.message : e.message;
    }
    return "HTTP " + response.status;
  }

  function callApi(method, url, body, ifMatch) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" }
    };
    if (ifMatch) { init.headers["If-Match"] = ifMatch; }
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (ignored) { parsed = null; }
        return { response: response, body: parsed };
      });
    });
  }

  // ---- login -------------------------------------------------------------
  function setUpLogin(form) {
    var error = document.getElementById("login-error");
    var endOther = document.getElementById("end-other");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submit = document.getElementById("login-submit");
      submit.disabled = true;
      showError(error, "");
      var body = {
        tenant: form.elements.tenant.value.trim(),
        login: form.elements.login.value.trim(),
        password: form.elements.password.value,
        end_other_sessions: form.elements.end_other_sessions.checked
      };
      callApi("POST", "/api/v1/auth/login", body).then(function (result) {
        submit.disabled = false;
        if (result.response.ok) {
          window.location.assign(form.getAttribute("data-next") || "/console/");
          return;
        }
        if (result.response.status === 409 && endOther) {
          endOther.hidden = false;
        }
        showError(error, apiError(result.response, result.body));
      }, function () {
        submit.disabled = false;
        showError(error, "the hub does not answer");
      });
    });
  }

  // ---- changes through the API ------------------------------------------
  // <form data-api="/api/v1/..." data-method="POST" data-then="reload|<url>">
  // Inputs named a.b become nested objects; data-type="number" and
  // data-type="json" inputs are sent as such, data-type="list" as a list
  // of its comma-separated values; empty optional inputs are
  // left out. A <template data-json-lines> is not used: line tables use
  // inputs named lines.0.material etc.
  function setPath(target, path, value) {
    var keys = path.split(".");
    var at = target;
    for (var i = 0; i < keys.length - 1; i++) {
      var key = /^\d+$/.test(keys[i + 1]) ? [] : {};
      if (at[keys[i]] === undefined) { at[keys[i]] = key; }
      at = at[keys[i]];
    }
    at[keys[keys.length - 1]] = value;
  }

  function compact(value) {
    if (Array.isArray(value)) {
      return value.filter(function (v) { return v !== undefined && v !== null; }).map(compact)
        .filter(function (v) { return !(typeof v === "object" && Object.keys(v).length === 0); });
    }
    if (value && typeof value === "object") {
      Object.keys(value).forEach(function (k) { value[k] = compact(value[k]); });
    }
    return value;
  }

  function formBody(form) {
    var whole = form.querySelector("textarea[data-whole-body]");
    if (whole) {
      try { return JSON.parse(whole.value); } catch (e) { throw new Error("JSON: " + e.message); }
    }
    var body = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.disabled) { return; }
      if (input.type === "checkbox") { setPath(body, input.name, input.checked); return; }
      var value = input.value;
      if (value === "" && !input.required) { return; }
      var type = input.getAttribute("data-type");
      if (type === "number") { value = Number(value); }
      if (type === "list") {
        value = value.split(",").map(function (v) { return v.trim(); }).filter(function (v) { return v !== ""; });
        if (value.length === 0) { return; }
      }
      if (type === "json") {
        try { value = JSON.parse(value); } catch (e) { throw new Error(input.name + ": not valid JSON"); }
      }
      setPath(body, input.name, value);
    });
    body = compact(body);
    // data-send="field": the request body is that field of the form's
    // object (an API taking a list, such as a user's roles).
    var send = form.getAttribute("data-send");
    if (send) { return body[send] === undefined ? [] : body[send]; }
    return body;
  }

  // data-then: "reload", or a URL where {field} is the sent body's field.
  function afterChange(element, result, body) {
    var then = element.getAttribute("data-then") || "reload";
    if (then === "reload") { window.location.reload(); return; }
    if (then === "show-token") {
      // A secret the hub shows once: into the page as text, never stored.
      document.getElementById("new-agent-id").textContent = result.body.agent_id;
      document.getElementById("new-agent-token").textContent = result.body.token;
      document.getElementById("new-token").hidden = false;
      return;
    }
    window.location.assign(then.replace(/\{(\w+)\}/g, function (match, key) {
      var value = body && body[key];
      return value === undefined ? "" : encodeURIComponent(String(value));
    }));
  }

  function errorBox(element) {
    var form = element.closest("form");
    return (form && form.querySelector(".form-error")) || document.getElementById("page-error");
  }

  function setUpApiForms() {
    document.querySelectorAll("form[data-api]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var box = errorBox(form);
        var body;
        try { body = formBody(form); } catch (e) { showError(box, e.message); return; }
        showError(box, "");
        callApi(form.getAttribute("data-method") || "POST", form.getAttribute("data-api"), body,
          form.getAttribute("data-if-match"))
          .then(function (result) {
            if (result.response.ok) { afterChange(form, result, body); return; }
            showError(box, apiError(result.response, result.body));
          }, function () { showError(box, "the hub does not answer"); });
      });
    });
    document.querySelectorAll("button[data-api]").forEach(function (button) {
      button.addEventListener("click", function () {
        var question = button.getAttribute("data-confirm");
        if (question && !window.confirm(question)) { return; }
        var body = button.hasAttribute("data-body") ? JSON.parse(button.getAttribute("data-body")) : undefined;
        button.disabled = true;
        callApi(button.getAttribute("data-method") || "POST", button.getAttribute("data-api"), body)
          .then(function (result) {
            button.disabled = false;
            if (result.response.ok) { afterChange(button, result, body); return; }
            showError(errorBox(button), apiError(result.response, result.body));
          }, function () { button.disabled = false; showError(errorBox(button), "the hub does not answer"); });
      });
    });
  }

  // ---- file imports ------------------------------------------------------
  // <form data-upload="/api/v1/import/..."> with one file input: the file is
  // the request body; a refused file lists every bad row in the page.
  function showRowErrors(box, body) {
    var rows = body && body.error && body.error.rows;
    box.textContent = "";
    var message = document.createElement("p");
    message.textContent = (body && body.error && body.error.message) || "import failed";
    box.appendChild(message);
    if (Array.isArray(rows)) {
      var table = document.createElement("table");
      rows.forEach(function (row) {
        var tr = document.createElement("tr");
        [row.row, row.column, row.reason || row.message].forEach(function (cell) {
          var td = document.createElement("td");
          td.textContent = cell === undefined || cell === null ? "" : String(cell);
          tr.appendChild(td);
        });
        table.appendChild(tr);
      });
      box.appendChild(table);
    }
    box.hidden = false;
  }

  function setUpUploads() {
    document.querySelectorAll("form[data-upload]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var file = form.querySelector('input[type="file"]').files[0];
        var box = form.querySelector(".import-errors");
        var notice = form.querySelector(".notice");
        box.hidden = true; notice.hidden = true;
        if (!file) { return; }
        var type = /\.xlsx$/i.test(file.name)
          ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv";
        fetch(form.getAttribute("data-upload"), {
          method: "POST", credentials: "same-origin", body: file,
          headers: { "X-CSRF-Token": csrf(), "Content-Type": type, "Accept": "application/json" }
        }).then(function (response) {
          return response.text().then(function (text) {
            var body = null;
            try { body = text ? JSON.parse(text) : null; } catch (ignored) { body = null; }
            if (response.ok) {
              notice.textContent = JSON.stringify(body);
              notice.hidden = false;
              window.setTimeout(function () { window.location.reload(); }, 1200);
            } else {
              showRowErrors(box, body);
            }
          });
        });
      });
    });
  }

  // ---- live pages ---------------------------------------------------------
  function setUpLive(section) {
    if (!window.EventSource) { return; }
    var source = new EventSource(section.getAttribute("data-live"));
    function replace(event) {
      var update = JSON.parse(event.data);
      var target = document.getElementById(update.id);
      if (!target) { return; }
      if (update.text !== undefined) { target.textContent = update.text; return; }
      if (update.inner) { target.innerHTML = update.html; return; }
      var holder = document.createElement("div");
      holder.innerHTML = update.html;
      var fresh = holder.firstElementChild;
      if (!fresh) { return; }
      fresh.classList.add("flash");
      target.replaceWith(fresh);
      window.setTimeout(function () { fresh.classList.remove("flash"); }, 900);
    }
    ["card", "banner", "counting"].forEach(function (name) { source.addEventListener(name, replace); });
    source.addEventListener("live", function () { section.setAttribute("data-connected", "true"); });
    source.onerror = function () { section.setAttribute("data-connected", "false"); };
  }

  // ---- planning board: drag a bar to steer the plan -----------------------
  // A bar marked "movable" (only for a viewer who may edit schedules) is
  // dragged with pointer events (mouse, pen or touch) to another time or
  // machine row; the drop asks the API for a what-if (a draft) and shows
  // the server-rendered consequences with Accept and Discard. A refused
  // drop shows the API's reason and the bar goes back. Every few seconds
  // the board asks for the live revision; a newer plan reloads the board
  // with what moved (or, while a draft is open, says so).
  function setUpPlanBoard(board) {
    var svg = board.querySelector("svg.gantt");
    if (!svg) { return; }
    var site = board.getAttribute("data-site");
    var revision = Number(board.getAttribute("data-revision"));
    var panel = document.getElementById("steer-panel");
    var panelBody = document.getElementById("steer-body");
    var panelError = document.getElementById("steer-error");
    var showNew = document.getElementById("plan-show-new");
    var drag = null;
    var moved = null;
    var suppressClick = false;
    var plotW = Number(svg.getAttribute("data-plot-w"));
    var perUnit = (Number(svg.getAttribute("data-to")) - Number(svg.getAttribute("data-from"))) / plotW;

    function point(event) {
      var p = svg.createSVGPoint();
      p.x = event.clientX; p.y = event.clientY;
      return p.matrixTransform(svg.getScreenCTM().inverse());
    }

    function rowAt(y) {
      var rows = svg.querySelectorAll("g.row");
      for (var i = 0; i < rows.length; i++) {
        var r = rows[i].querySelector("rect");
        var top = Number(r.getAttribute("y"));
        if (y >= top && y < top + Number(r.getAttribute("height"))) { return rows[i].getAttribute("data-code"); }
      }
      return null;
    }

    function putBack() {
      if (moved) { moved.removeAttribute("transform"); moved.classList.remove("dragging"); moved = null; }
    }

    function closePanel() {
      if (!panel) { return; }
      panel.hidden = true;
      panelBody.textContent = "";
      showError(panelError, "");
    }

    function refuse(message) {
      putBack();
      if (!panel) { return; }
      panelBody.textContent = "";
      panel.hidden = false;
      showError(panelError, message);
    }

    function openDraft(id) {
      fetch("/console/sites/" + encodeURIComponent(site) + "/plan/drafts/" + encodeURIComponent(id),
        { credentials: "same-origin" })
        .then(function (response) { return response.text().then(function (html) { return { ok: response.ok, html: html }; }); })
        .then(function (r) {
          if (!r.ok) { refuse("HTTP error"); return; }
          // Rendered and escaped by the server, like the live fragments.
          panelBody.innerHTML = r.html;
          showError(panelError, "");
          panel.hidden = false;
          var accept = document.getElementById("steer-accept");
          var discard = document.getElementById("steer-discard");
          accept.addEventListener("click", function () {
            accept.disabled = true;
            callApi("POST", accept.getAttribute("data-accept")).then(function (result) {
              if (result.response.ok) {
                window.location.assign(showNew ? showNew.getAttribute("href") : window.location.href);
                return;
              }
              accept.disabled = false;
              showError(panelError, apiError(result.response, result.body));
            });
          });
          discard.addEventListener("click", function () {
            callApi("DELETE", discard.getAttribute("data-discard")).then(function () {
              putBack();
              closePanel();
            });
          });
        }, function () { refuse("the hub does not answer"); });
    }

    function whatIf(bar, machine, start) {
      var change = { kind: "move", operation: bar.getAttribute("data-op") };
      if (machine) { change.machine = machine; }
      if (start !== null) { change.start = new Date(start * 60000).toISOString(); }
      board.setAttribute("data-asking", "true");
      callApi("POST", "/api/v1/sites/" + encodeURIComponent(site) + "/plan/drafts", { changes: [change] })
        .then(function (result) {
          board.removeAttribute("data-asking");
          if (result.response.status === 201) { openDraft(result.body.draft); return; }
          // The reason alone: the constraint and what it concerns.
          var e = result.body && result.body.error;
          refuse(e && e.message ? e.message : apiError(result.response, result.body));
        }, function () { board.removeAttribute("data-asking"); refuse("the hub does not answer"); });
    }

    svg.addEventListener("pointerdown", function (event) {
      var bar = event.target.closest("a.bar.movable");
      if (!bar || event.button > 0) { return; }
      putBack();
      closePanel();
      var p = point(event);
      drag = { bar: bar, x: p.x, y: p.y, id: event.pointerId, active: false };
      bar.setPointerCapture(event.pointerId);
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) { return; }
      var p = point(event);
      var dx = p.x - drag.x, dy = p.y - drag.y;
      if (!drag.active && Math.abs(dx) + Math.abs(dy) < 4) { return; }
      if (!drag.active) { svg.appendChild(drag.bar); }
      drag.active = true;
      drag.bar.classList.add("dragging");
      drag.bar.setAttribute("transform", "translate(" + dx.toFixed(1) + " " + dy.toFixed(1) + ")");
      event.preventDefault();
    });
    function drop(event) {
      if (!drag || event.pointerId !== drag.id) { return; }
      var d = drag;
      drag = null;
      if (!d.active) { return; }
      suppressClick = true;
      var p = point(event);
      var dx = p.x - d.x;
      var from = d.bar.getAttribute("data-machine");
      var rect = d.bar.querySelector("rect");
      var middle = Number(rect.getAttribute("y")) + Number(rect.getAttribute("height")) / 2;
      var machine = rowAt(middle + (p.y - d.y));
      var start = null;
      if (Math.abs(dx) >= 3) {
        start = Math.round((Number(d.bar.getAttribute("data-start")) + dx * perUnit) / 5) * 5;
      }
      if (!machine) { machine = from; }
      if (machine === from && start === null) { d.bar.removeAttribute("transform"); d.bar.classList.remove("dragging"); return; }
      moved = d.bar;
      whatIf(d.bar, machine === from ? null : machine, start);
    }
    svg.addEventListener("pointerup", drop);
    svg.addEventListener("pointercancel", function () {
      if (drag) { drag.bar.removeAttribute("transform"); drag.bar.classList.remove("dragging"); drag = null; }
    });
    // The drop's click must not follow the bar's link.
    svg.addEventListener("click", function (event) {
      if (suppressClick) { event.preventDefault(); suppressClick = false; }
    }, true);

    if (site && revision > 0) {
      window.setInterval(function () {
        callApi("GET", "/api/v1/sites/" + encodeURIComponent(site) + "/plan/revision").then(function (result) {
          if (!result.response.ok || !result.body || result.body.revision <= revision) { return; }
          var open = drag || moved || (panel && !panel.hidden);
          if (!open && showNew) { window.location.assign(showNew.getAttribute("href")); return; }
          var notice = document.getElementById("plan-new");
          if (notice) { notice.hidden = false; }
        });
      }, Number(board.getAttribute("data-poll-ms")) || 5000);
    }
  }

  // ---- session and language ---------------------------------------------
  function setUpChrome() {
    var logout = document.getElementById("logout");
    if (logout) {
      logout.addEventListener("click", function () {
        callApi("POST", "/api/v1/auth/logout").then(function () {
          window.location.assign("/console/login");
        });
      });
    }
    var language = document.getElementById("language-switch");
    if (language) {
      language.addEventListener("click", function () {
        callApi("PUT", "/api/v1/auth/language", { language: language.getAttribute("data-language") })
          .then(function (result) {
            if (result.response.ok) { window.location.reload(); return; }
            showError(document.getElementById("page-error"), apiError(result.response, result.body));
          });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var login = document.getElementById("login-form");
    if (login) { setUpLogin(login); }
    setUpChrome();
    setUpApiForms();
    setUpUploads();
    document.querySelectorAll("[data-live]").forEach(setUpLive);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var plan = document.getElementById("plan-board");
    if (plan) { setUpPlanBoard(plan); }
  });
}());
