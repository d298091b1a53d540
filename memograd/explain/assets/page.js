// The backprop page: replays a memograd trace (the JSON in #trace) over the SVG drawn by
// explain/svg.py. Nothing here computes a gradient: every number comes from the trace, which
// memograd's engine recorded. stateAt() mirrors explain/replay.py (the browser test checks
// that the two agree after every step).
(function () {
  "use strict";
  const trace = JSON.parse(document.getElementById("trace").textContent);
  const WORDS = JSON.parse(document.getElementById("words").textContent);
  const nodes = trace.nodes, steps = trace.steps, total = steps.length;
  const firstBackward = steps.findIndex((s) => s.phase === "backward");
  const backwardStart = firstBackward < 0 ? total : firstBackward;
  const body = document.body, svg = document.querySelector("#graph svg");
  let lang = WORDS[document.documentElement.lang] ? document.documentElement.lang : "en";
  let position = 0, pinned = null, timer = null;

  const el = nodes.map((n) => {
    const g = document.getElementById("n" + n.id), at = g.getAttribute("transform").match(/-?[\d.]+/g);
    return { g, meta: g.querySelector(".meta"), slot: g.querySelector(".slot"), status: g.querySelector(".status"),
             fill: g.querySelector(".fill"), x: +at[0], y: +at[1], cache: {} };
  });
  const consumers = nodes.map(() => []);
  nodes.forEach((n) => n.inputs.forEach((c, i) => { if (c !== null) consumers[c].push({ id: n.id, input: i }); }));
  const edges = Array.from(svg.querySelectorAll(".edge")).map((p) => ({
    p, from: +p.dataset.from, to: +p.dataset.to, input: +p.dataset.input, cls: "" }));
  const savedTotal = nodes.reduce((a, n) => a + n.saved_bytes, 0);

  // ---- words and numbers ------------------------------------------------------------------
  function w(key, values) {
    let text = (WORDS[lang] && WORDS[lang][key]) || WORDS.en[key] || key;
    for (const k in values || {}) text = text.split("{" + k + "}").join(values[k]);
    return text;
  }
  function fmt(v) {  // like Python's "%.3g", which wrote every text in the trace
    if (typeof v === "string") return v;
    if (v === 0) return "0";
    const e = Math.floor(Math.log10(Math.abs(v)));
    if (e < -4 || e >= 3) {
      const [m, x] = v.toExponential(2).split("e");
      const digits = x.slice(1).padStart(2, "0");
      return m.replace(/\.?0+$/, "") + "e" + x[0] + digits;
    }
    return String(Number(v.toPrecision(3)));
  }
  function bytes(n) {  // explain.table.format_bytes
    let size = n;
    for (const unit of ["B", "KiB", "MiB", "GiB"]) {
      if (size < 1024 || unit === "GiB") return unit === "B" ? n + " B" : size.toFixed(1) + " " + unit;
      size /= 1024;
    }
  }
  function num(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }  // 5040 -> 5,040
  function shapeText(shape) { return shape.length ? shape.join("x") : "scalar"; }
  function name(id) { return "#" + id + " " + nodes[id].label; }
  function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }

  // ---- the state after `pos` steps (explain/replay.py) -------------------------------------
  function stateAt(pos) {
    const ns = nodes.map((n) => ({ computed: false, slot: null, count: 0, left: n.consumers, ran: false, released: false }));
    const st = { pos, phase: "start", active: null, nodes: ns, vjps: 0, naive: 0, sentTo: [], freed: 0 };
    for (let k = 0; k < pos; k++) {
      const s = steps[k], here = ns[s.node];
      st.phase = s.phase; st.active = s.node; st.sentTo = [];
      if (s.phase === "forward") { here.computed = true; continue; }
      if (s.kind === "seed") { here.slot = s.slot; here.count = 1; continue; }
      here.ran = true; here.slot = s.grad; here.released = here.released || s.released;
      st.vjps = s.vjps; st.naive = s.naive; st.freed += s.released_bytes;
      for (const send of s.sends) {
        const child = ns[send.to];
        child.left = send.left;
        if ("total" in send) { child.slot = send.total; child.count = send.count; st.sentTo.push(send.to); }
      }
    }
    return st;
  }

  // ---- drawing a state ----------------------------------------------------------------------
  function valueText(n, s) {  // explain/svg.py value_text
    if (!s.computed) return "";
    if (!n.value) return w("not_kept_box");
    return w("value_short") + " " + n.value.short;
  }
  function statusText(n, s) {  // explain/svg.py status_text
    const parts = [];
    if (s.ran) parts.push(w("ran_box"));
    else if (s.slot && s.left === 0) parts.push(w("ready"));
    else if (n.consumers) parts.push(w("waits_box", { left: s.left, n: n.consumers }));
    if (n.saved_bytes) parts.push(w(s.released ? "freed_box" : "saved_box", { bytes: bytes(n.saved_bytes) }));
    return parts.join(" · ");
  }
  // Only what changed is written: at 200 nodes, rewriting every attribute each step costs frames.
  function set(e, key, node, text) { if (e.cache[key] !== text) { e.cache[key] = text; node.textContent = text; } }
  function attr(e, key, node, name, value) {
    if (e.cache[key] !== value) { e.cache[key] = value; node.setAttribute(name, value); }
  }

  function drawNodes(st) {
    const sent = new Set(st.sentTo), selected = pinned !== null ? pinned : st.active;
    nodes.forEach((n, i) => {
      const s = st.nodes[i], e = el[i];
      const cls = ["node", n.leaf ? "leaf" : "op"];
      if (n.root) cls.push("root");
      if (!s.computed) cls.push("future");
      if (s.ran) cls.push("ran");
      else if (s.slot && s.left === 0) cls.push("ready");
      else if (s.slot) cls.push("filling");
      if (s.released) cls.push("released");
      if (sent.has(i)) cls.push("received");
      if (st.active === i) cls.push("active");
      if (selected === i) cls.push("selected");
      attr(e, "class", e.g, "class", cls.join(" "));
      attr(e, "left", e.g, "data-left", String(s.left));
      attr(e, "ran", e.g, "data-ran", String(s.ran));
      attr(e, "released", e.g, "data-released", String(s.released));
      set(e, "meta", e.meta, valueText(n, s));
      set(e, "slot", e.slot, s.slot ? s.slot.short : "");
      set(e, "status", e.status, statusText(n, s));
      const share = n.consumers ? s.count / n.consumers : (s.slot ? 1 : 0);
      attr(e, "fill", e.fill, "width", String(Math.round(Math.min(1, share) * 198)));
    });
  }

  function drawEdges(st) {
    const step = st.pos ? steps[st.pos - 1] : null;
    edges.forEach((e) => {
      let cls = "edge";
      if (st.nodes[e.to].computed) cls += " done";
      if (step && step.phase === "forward" && e.to === step.node) cls += " fwd";
      if (step && step.kind === "run" && e.to === step.node && step.sends.some((s) => s.to === e.from && s.input === e.input && "total" in s)) cls += " flow";
      if (e.cls !== cls) { e.cls = cls; e.p.setAttribute("class", cls); }
    });
  }

  function caption(st) {
    if (st.pos === 0) return esc(w("cap_start"));
    const s = steps[st.pos - 1], n = nodes[s.node];
    if (st.pos === total) {
      return esc(w("cap_end", { vjps: num(trace.totals.backprop_vjps), naive: num(trace.totals.naive_vjps) }));
    }
    if (s.phase === "forward") {
      if (n.leaf) return esc(w("cap_forward_leaf", { node: name(n.id) }));
      const inputs = n.inputs.map((c) => (c === null ? w("constant") : "#" + c)).join(", ") || w("nobody");
      return esc(w(n.root ? "cap_forward_root" : "cap_forward_op", { node: name(n.id), inputs }));
    }
    if (s.kind === "seed") return esc(w("cap_seed"));
    let text;
    const targets = s.sends.filter((x) => "total" in x).map((x) => "#" + x.to).join(", ") || w("nobody");
    if (n.leaf) text = w("cap_leaf", { node: name(n.id), name: n.label });
    else if (n.root) text = w("cap_run_root", { node: name(n.id), targets });
    else text = w("cap_run", { node: name(n.id), n: n.consumers, targets });
    let html = esc(text);
    for (const x of s.sends) {
      if ("total" in x && x.previous) {
        html += '<span class="sum">' + esc(w("cap_sum", { node: "#" + x.to, previous: x.previous.short, added: x.raw.short,
          total: x.total.short, count: x.count, of: nodes[x.to].consumers })) + "</span>";
      }
    }
    if (s.released) html += '<span class="release">' + esc(w("cap_release", { node: name(n.id), bytes: bytes(s.released_bytes) })) + "</span>";
    return html;
  }

  function drawCounters(st) {
    const t = trace.totals;
    document.getElementById("vjps").textContent = num(st.vjps);
    document.getElementById("naive").textContent = num(st.naive);
    document.getElementById("vjptotal").textContent = num(t.backprop_vjps);
    document.getElementById("naivetotal").textContent = w("naive_total", { n: num(t.naive_vjps) });
    const top = Math.max(t.naive_vjps, t.backprop_vjps, 1);
    document.querySelector("#vjpbar span").style.width = (100 * st.vjps / top) + "%";
    document.querySelector("#naivebar span").style.width = (100 * st.naive / top) + "%";
    document.getElementById("memory").textContent = trace.retain_graph ? w("retained")
      : w("held", { held: bytes(savedTotal - st.freed) }) + " · " + w("freed", { freed: bytes(st.freed) });
  }

  // ---- the side panel: the selected node -------------------------------------------------
  function grid(summary) {
    const v = summary.values, shape = summary.shape;
    if (!v || v.length > 48 || shape.length > 2 || shape.length === 0) return '<span class="num">' + esc(summary.text) + "</span>";
    const cols = shape.length === 2 ? shape[1] : shape[0], rows = v.length / Math.max(cols, 1);
    let html = '<table class="grid">';
    for (let r = 0; r < rows; r++) {
      html += "<tr>" + v.slice(r * cols, (r + 1) * cols).map((x) => "<td>" + esc(fmt(x)) + "</td>").join("") + "</tr>";
    }
    return html + "</table>";
  }
  function chip(id) { return '<span class="chip" data-go="' + id + '">' + esc(name(id)) + "</span>"; }

  function panel(st) {
    const id = pinned !== null ? pinned : st.active;
    const box = document.getElementById("panel");
    if (id === null) { box.innerHTML = '<p class="muted">' + esc(w("cap_start")) + "</p>"; return; }
    const n = nodes[id], s = st.nodes[id];
    let h = '<div class="mode">' + esc(w(pinned !== null ? "panel_pinned" : "panel_follow")) + "</div>";
    h += "<h2>" + esc(name(id)) + "</h2><div class=\"muted\">" + esc(n.op) + " · " + esc(shapeText(n.shape)) + " · " + esc(n.dtype) + "</div>";
    h += "<h3>" + esc(w("value")) + "</h3>";
    h += !s.computed ? '<span class="muted">' + esc(w("not_yet")) + "</span>" : n.value ? grid(n.value) : '<span class="muted">' + esc(w("not_kept")) + "</span>";
    h += "<h3>" + esc(w("inputs")) + "</h3>" + (n.inputs.length ? n.inputs.map((c) => (c === null ? '<span class="chip const">' + esc(w("constant")) + "</span>" : chip(c))).join(" ") : '<span class="muted">' + esc(w(n.leaf ? "leaf_inputs" : "nobody")) + "</span>");
    h += "<h3>" + esc(w("consumers")) + "</h3>" + (consumers[id].length ? consumers[id].map((c) => chip(c.id)).join(" ") : '<span class="muted">' + esc(w("no_consumers")) + "</span>");
    h += "<h3>" + esc(w("slot")) + "</h3>";
    h += s.slot ? grid(s.slot) : '<span class="muted">' + esc(w("slot_empty")) + "</span>";
    h += ' <span class="muted">' + esc(statusText(n, s)) + "</span>";
    h += '<p class="muted">' + esc(w("chain")) + "</p>";
    for (let k = backwardStart; k < st.pos; k++) {
      const step = steps[k];
      if (step.kind === "seed" && step.node === id) h += '<div class="contrib"><span class="rule">' + esc(w("seed_rule")) + "</span></div>";
      if (step.kind !== "run") continue;
      for (const x of step.sends) {
        if (x.to !== id || !("total" in x)) continue;
        const rule = nodes[step.node].rule[x.input] || "";
        h += '<div class="contrib">' + w("from", { node: chip(step.node), i: x.input, rule: '<span class="rule">' + esc(rule) + "</span>" });
        h += '<br>g = dL/d#' + step.node + ' = <span class="num">' + esc(step.grad.text) + "</span>";
        h += "<br>" + esc(w("adds")) + ' <span class="num">' + esc(x.raw.text) + "</span>";
        if (x.reduced) h += ' <span class="muted">(' + esc(w("summed_to", { shape: shapeText(n.shape) })) + ")</span>";
        h += '<br><span class="sumline">' + esc(w("equals")) + ": " + (x.previous ? esc(x.previous.short) + " + " + esc(x.raw.short) + " = " : "") + esc(x.total.short) + "</span></div>";
      }
    }
    const own = s.ran ? steps.slice(backwardStart, st.pos).find((x) => x.kind === "run" && x.node === id) : null;
    if (own && own.sends.length) {
      h += "<h3>" + esc(w("own_rule")) + "</h3>";
      for (const x of own.sends) {
        h += '<div class="contrib">' + chip(x.to) + ' <span class="rule">' + esc(n.rule[x.input] || "") + "</span> = "
          + ('raw' in x ? '<span class="num">' + esc(x.raw.text) + "</span>" : '<span class="muted">-</span>') + "</div>";
      }
    }
    h += "<h3>" + esc(w("cost")) + "</h3><p>" + esc(w("cost_line", { paths: num(n.paths), naive: num(n.naive_vjps) })) + "</p>";
    h += "<h3>" + esc(w("saved")) + "</h3><p>" + (n.saved_bytes ? esc(bytes(n.saved_bytes)) + " · " + esc(s.released ? w("released") : w("kept")) : esc(w("nothing_saved"))) + "</p>";
    box.innerHTML = h;
  }

  // ---- view: pan, zoom, follow ------------------------------------------------------------
  // Pan and zoom move the drawing with a CSS transform: changing the SVG's viewBox instead would
  // lay out every text again (150 ms at 200 nodes), a transform only repaints.
  const full = svg.viewBox.baseVal, W = full.width, H = full.height;
  const view = { x: 0, y: 0, s: 1 };
  const area = document.getElementById("graph");
  let box = area.getBoundingClientRect();  // measured once (and on resize): reading it forces a layout
  function applyView() {
    svg.style.transform = "translate(" + (-view.x * view.s).toFixed(1) + "px," + (-view.y * view.s).toFixed(1) + "px) scale(" + view.s.toFixed(4) + ")";
  }
  function fit() {
    const r = box;
    view.s = Math.min(r.width / W, r.height / H); view.x = -(r.width / view.s - W) / 2; view.y = -(r.height / view.s - H) / 2;
    applyView();
  }
  function start() {  // the whole graph when it is readable that small, else full height and follow
    const r = box, whole = Math.min(r.width / W, r.height / H);
    view.s = whole >= 0.6 ? Math.min(1.3, whole) : Math.max(1, Math.min(1.3, r.height / H));
    view.x = -Math.max(0, r.width / view.s - W) / 2; view.y = -(r.height / view.s - H) / 2;
    applyView();
  }
  function follow(id) {  // keep the node of interest in the middle part of the view
    if (id === null) return;
    const r = box, vw = r.width / view.s, vh = r.height / view.s, x = el[id].x, y = el[id].y;
    const mx = Math.min(0.15 * vw, Math.max(0, (vw - 200) / 2)), my = Math.min(0.1 * vh, Math.max(0, (vh - 74) / 2));
    if (x < view.x + mx || x + 200 > view.x + vw - mx) view.x = x + 100 - vw / 2;
    if (y < view.y + my || y + 74 > view.y + vh - my) view.y = y + 37 - vh / 2;
    applyView();
  }
  area.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = box, k = Math.exp(-ev.deltaY * 0.0015);
    const px = view.x + (ev.clientX - r.left) / view.s, py = view.y + (ev.clientY - r.top) / view.s;
    view.s = Math.min(3, Math.max(0.08, view.s * k));
    view.x = px - (ev.clientX - r.left) / view.s; view.y = py - (ev.clientY - r.top) / view.s;
    applyView();
  }, { passive: false });
  let drag = null;
  area.addEventListener("pointerdown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false }; });
  window.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; area.classList.add("dragging"); }
    view.x = drag.vx - dx / view.s; view.y = drag.vy - dy / view.s; applyView();
  });
  window.addEventListener("pointerup", () => { setTimeout(() => { drag = null; }, 0); area.classList.remove("dragging"); });
  function zoom(k) {
    const r = box, cx = view.x + r.width / view.s / 2, cy = view.y + r.height / view.s / 2;
    view.s = Math.min(3, Math.max(0.08, view.s * k)); view.x = cx - r.width / view.s / 2; view.y = cy - r.height / view.s / 2;
    applyView();
  }

  // ---- stepping ---------------------------------------------------------------------------
  function render() {
    const st = stateAt(position);
    body.dataset.position = position;
    body.dataset.phase = st.phase;
    body.dataset.active = st.active === null ? "" : st.active;
    drawNodes(st); drawEdges(st);
    document.getElementById("caption").innerHTML = caption(st);
    document.getElementById("phase").textContent = w("phase_" + st.phase);
    document.getElementById("steplabel").textContent = w("step", { k: position, n: total });
    document.getElementById("slider").value = position;
    drawCounters(st); panel(st);
    follow(pinned !== null ? pinned : st.active);
  }
  function go(pos) { position = Math.max(0, Math.min(total, pos)); render(); }
  function play() {
    if (timer) { clearInterval(timer); timer = null; }
    else timer = setInterval(() => { if (position >= total) play(); else go(position + 1); }, 650);
    document.getElementById("play").textContent = w(timer ? "pause" : "play");
  }
  function words() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-w]").forEach((e) => { e.textContent = w(e.dataset.w); });
    document.getElementById("play").textContent = w(timer ? "pause" : "play");
    document.getElementById("lang").textContent = WORDS[lang === "en" ? "ko" : "en"].lang_name;
  }
  const actions = { first: () => go(0), prev: () => go(position - 1), next: () => go(position + 1), last: () => go(total),
                    backward: () => go(backwardStart), play, fit,
                    lang: () => { lang = lang === "en" ? "ko" : "en"; words(); render(); } };
  document.querySelectorAll("[data-act]").forEach((b) => b.addEventListener("click", () => actions[b.dataset.act]()));
  const slider = document.getElementById("slider");
  slider.max = total;
  slider.addEventListener("input", () => go(+slider.value));
  document.addEventListener("keydown", (ev) => {
    if (ev.target === slider && (ev.key === "ArrowLeft" || ev.key === "ArrowRight")) ev.preventDefault();
    const jump = ev.shiftKey ? 10 : 1;
    const keys = { ArrowRight: () => go(position + jump), ArrowLeft: () => go(position - jump), Home: () => go(0), End: () => go(total),
                   " ": play, b: () => go(backwardStart), B: () => go(backwardStart), f: fit, F: fit,
                   "+": () => zoom(1.25), "=": () => zoom(1.25), "-": () => zoom(0.8),
                   Escape: () => { pinned = null; render(); } };
    if (keys[ev.key] && !ev.ctrlKey && !ev.metaKey && !ev.altKey) { ev.preventDefault(); keys[ev.key](); }
  });
  svg.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const g = ev.target.closest(".node");
    pinned = g ? +g.dataset.id : null; render();
  });
  document.getElementById("panel").addEventListener("click", (ev) => {
    const c = ev.target.closest("[data-go]");
    if (c) { pinned = +c.dataset.go; render(); }
  });
  window.addEventListener("resize", () => { box = area.getBoundingClientRect(); applyView(); });

  words(); start(); render();
  window.memograd = { go, stateAt, get position() { return position; }, total, backwardStart };
  body.dataset.ready = "true";
  window.memogradRenderMs = performance.now();
})();
