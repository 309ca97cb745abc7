// latent explorer: the page behind `latent serve`. Plain JavaScript, no
// dependencies; every number comes from the JSON API under /api/.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const SLIDER_SPAN = 4;

const state = {
  info: null, points: null, bounds: null,
  code: null,          // the current latent code, shown by the sliders and #view
  hoverPaused: false,  // after a click, until the pointer leaves the map
  marker: null,        // map position of the last encoded drawing
  picked: null,        // index of the picked test image
  a: null, b: null,    // interpolation ends
  frames: null,        // decoded interpolation frames
};

function showError(msg) {
  const e = $("error");
  e.textContent = msg;
  e.hidden = !msg;
}

async function api(path, body, raw) {
  const opt = body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const resp = await fetch("/api/" + path, opt);
  if (!resp.ok) {
    let msg = resp.statusText;
    try { msg = (await resp.json()).error; } catch (_) { /* not JSON */ }
    throw new Error(path + ": " + msg);
  }
  return raw ? resp.blob() : resp.json();
}

function colorOf(label) {
  return label >= 0 && label < COLORS.length ? COLORS[label] : `hsl(${(label * 47) % 360} 60% 45%)`;
}

function labelName(label) {
  const c = state.info.classes;
  return c && c[label] ? c[label] : String(label);
}

// withLabel adds the class picked in #class to a request's body, for a
// conditional run (an unconditional one takes no label).
function withLabel(body) {
  return state.info.conditional ? { ...body, label: Number($("class").value) } : body;
}

// buildClassPicker fills #class with the run's classes and shows it, for a
// conditional run; a new class re-decodes the current code.
function buildClassPicker() {
  if (!state.info.conditional) return;
  const sel = $("class");
  for (let l = 0; l < state.info.model.classes; l++) {
    const o = document.createElement("option");
    o.value = String(l);
    o.textContent = labelName(l);
    sel.append(o);
  }
  sel.addEventListener("change", () => decodeView(state.code));
  $("class-row").hidden = false;
}

// drawImage paints pixels (bytes, HWC) into canvas, scaled to fill it.
function drawImage(canvas, pixels) {
  const { height: h, width: w, channels: c } = state.info;
  const small = document.createElement("canvas");
  small.width = w; small.height = h;
  const sctx = small.getContext("2d");
  const img = sctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const r = pixels[i * c], g = pixels[i * c + (c === 3 ? 1 : 0)], b = pixels[i * c + (c === 3 ? 2 : 0)];
    img.data.set([r, g, b, 255], 4 * i);
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  canvas.dataset.version = String(Number(canvas.dataset.version || 0) + 1);
}

// A decoder that keeps at most one request in flight and, while one is,
// only the latest code asked for: fast slider moves never queue up.
const viewDecoder = { busy: false, next: null };

function decodeView(code) {
  viewDecoder.next = code.slice();
  if (viewDecoder.busy) return;
  viewDecoder.busy = true;
  $("view").dataset.pending = "1";
  (async () => {
    while (viewDecoder.next) {
      const z = viewDecoder.next;
      viewDecoder.next = null;
      try {
        const r = await api("decode", withLabel({ z }));
        drawImage($("view"), r.image);
        showError("");
      } catch (e) { showError(e.message); }
    }
    viewDecoder.busy = false;
    $("view").dataset.pending = "0";
  })();
}

function setCode(code, caption) {
  state.code = code.slice();
  for (const d of state.info.dims) {
    const s = $("slider-" + d.index);
    s.value = String(code[d.index]);
    $("value-" + d.index).textContent = code[d.index].toFixed(2);
  }
  if (caption !== undefined) $("view-caption").textContent = caption;
  if (state.info.grid) renderGrid();
  decodeView(state.code);
}

// The code grid of a discrete run (info.grid): state.code holds its
// indices row by row; state.cell is the selected cell.
function cellColor(code) {
  return `hsl(${(code * 137.5) % 360} 65% 78%)`;
}

function buildGrid() {
  const g = state.info.grid, box = $("grid");
  box.style.gridTemplateColumns = `repeat(${g.width}, auto)`;
  for (let i = 0; i < g.height * g.width; i++) {
    const b = document.createElement("button");
    b.type = "button";
    b.id = "cell-" + i;
    b.addEventListener("click", () => { state.cell = i; renderGrid(); });
    b.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      state.cell = i;
      setCell(i, state.code[i] + (ev.deltaY > 0 ? 1 : -1));
    }, { passive: false });
    box.append(b);
  }
  state.cell = 0;
}

function renderGrid() {
  state.code.forEach((c, i) => {
    const b = $("cell-" + i);
    b.textContent = String(c);
    b.style.background = cellColor(c);
    b.title = `row ${Math.floor(i / state.info.grid.width) + 1}, column ${i % state.info.grid.width + 1}: code ${c}`;
    b.classList.toggle("selected", i === state.cell);
  });
}

// setCell puts code (modulo the codebook) in cell i and decodes the grid.
function setCell(i, code) {
  const k = state.info.grid.codes;
  state.code[i] = ((code % k) + k) % k;
  setCode(state.code, `edited grid: cell ${i} holds code ${state.code[i]}`);
}

// loadPalette shows every code as the image of a grid of it alone (as the
// class picked, for a conditional run), most used first; a click puts it in
// the selected cell.
async function loadPalette() {
  const label = state.info.conditional ? "?label=" + $("class").value : "";
  const r = await api("palette" + label);
  const box = $("palette");
  box.replaceChildren();
  for (const e of r.codes) {
    const cv = document.createElement("canvas");
    cv.width = state.info.width; cv.height = state.info.height;
    cv.id = "code-" + e.index;
    cv.title = `code ${e.index}: ${e.used} cells of the test grids`;
    drawImage(cv, e.image);
    cv.addEventListener("click", () => setCell(state.cell, e.index));
    box.append(cv);
  }
  box.dataset.ready = "1";
}

async function loadTestGrid(i) {
  const t = await api("test/" + i);
  if (state.info.conditional) $("class").value = String(t.label);
  setCode(t.code, `test image ${i} (label ${labelName(t.label)}): its grid of nearest codes decoded`);
}

// mainGrid is the explorer of a discrete run: the grid in place of the
// map, sliders, interpolation and drawing, which need real-valued codes.
async function mainGrid() {
  const i = state.info, g = i.grid;
  const used = g.used.filter((n) => n > 0).length;
  $("run-info").textContent = `${i.run} · step ${i.step} · ${i.height}×${i.width}×${i.channels} images · ` +
    `a ${g.height}×${g.width} grid of ${g.codes} codes · ${i.test_images} test images` +
    (i.conditional ? ` · conditional on ${i.model.classes} classes` : "");
  $("palette-how").textContent = `${g.codes} codes, ${used} of them used by the test grids; ` +
    "each tile is a grid holding that code in every cell, decoded; most used first";
  for (const id of ["map-panel", "interp-panel", "draw-panel", "slider-box", "reset"]) $(id).hidden = true;
  for (const id of ["grid-box", "palette-panel"]) $(id).hidden = false;
  $("grid-test").max = String(i.test_images - 1);
  buildClassPicker();
  buildGrid();
  wireSampling();
  $("grid-load").addEventListener("click", () => loadTestGrid(Number($("grid-test").value)).catch((e) => showError(e.message)));
  if (i.conditional) $("class").addEventListener("change", () => loadPalette().catch((e) => showError(e.message)));
  await loadTestGrid(0);
  await loadPalette();
}

function buildSliders() {
  const box = $("sliders");
  for (const d of state.info.dims) {
    const label = document.createElement("label");
    label.textContent = `${d.label} (var ${d.variance.toFixed(2)})`;
    label.htmlFor = "slider-" + d.index;
    const s = document.createElement("input");
    Object.assign(s, { type: "range", id: "slider-" + d.index, min: -SLIDER_SPAN, max: SLIDER_SPAN, step: 0.01, value: 0 });
    s.dataset.dim = String(d.index);
    const v = document.createElement("span");
    v.id = "value-" + d.index;
    v.textContent = "0.00";
    if (!d.active) { label.className = "inactive"; v.className = "inactive"; }
    s.addEventListener("input", () => {
      state.code[d.index] = Number(s.value);
      v.textContent = Number(s.value).toFixed(2);
      $("view-caption").textContent = "edited code";
      decodeView(state.code);
    });
    box.append(label, s, v);
  }
}

// Map geometry: data bounds with a margin, y up.
function fitBounds(points) {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  points.x.forEach((x, i) => {
    const y = points.y[i];
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  });
  const mx = (x1 - x0 || 1) * 0.05, my = (y1 - y0 || 1) * 0.05;
  return { x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my };
}

function toCanvas(x, y) {
  const c = $("map"), b = state.bounds;
  return [(x - b.x0) / (b.x1 - b.x0) * c.width, (1 - (y - b.y0) / (b.y1 - b.y0)) * c.height];
}

function fromEvent(ev) {
  const c = $("map"), rect = c.getBoundingClientRect(), b = state.bounds;
  const px = (ev.clientX - rect.left) * c.width / rect.width;
  const py = (ev.clientY - rect.top) * c.height / rect.height;
  return [b.x0 + px / c.width * (b.x1 - b.x0), b.y0 + (1 - py / c.height) * (b.y1 - b.y0)];
}

function drawMap() {
  const c = $("map"), ctx = c.getContext("2d"), p = state.points;
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.globalAlpha = 0.75;
  p.x.forEach((x, i) => {
    const [cx, cy] = toCanvas(x, p.y[i]);
    ctx.fillStyle = colorOf(p.labels[i]);
    ctx.fillRect(cx - 1.5, cy - 1.5, 3, 3);
  });
  ctx.globalAlpha = 1;
  if (state.picked !== null) ring(ctx, p.x[state.picked], p.y[state.picked], "#000");
  if (state.marker) ring(ctx, state.marker[0], state.marker[1], "#e00", 8);
  c.dataset.ready = "1";
}

function ring(ctx, x, y, color, r = 6) {
  const [cx, cy] = toCanvas(x, y);
  ctx.strokeStyle = color; ctx.lineWidth = 2;
  ctx.beginPath(); ctx.arc(cx, cy, r, 0, 2 * Math.PI); ctx.stroke();
}

function buildLegend() {
  const seen = [...new Set(state.points.labels)].sort((a, b) => a - b);
  for (const l of seen) {
    const s = document.createElement("span");
    s.style.setProperty("--c", colorOf(l));
    s.textContent = labelName(l);
    $("legend").append(s);
  }
}

// codeAt maps a map position back to a latent code.
function codeAt(x, y) {
  const m = state.info.map;
  return m.origin.map((o, j) => o + x * m.axes[0][j] + y * m.axes[1][j]);
}

function nearestPoint(x, y) {
  const p = state.points, b = state.bounds;
  const sx = b.x1 - b.x0, sy = b.y1 - b.y0;
  let best = 0, bestD = Infinity;
  p.x.forEach((px, i) => {
    const d = ((px - x) / sx) ** 2 + ((p.y[i] - y) / sy) ** 2;
    if (d < bestD) { best = i; bestD = d; }
  });
  return best;
}

async function pickTest(i) {
  const t = await api("test/" + i);
  if (state.info.conditional) $("class").value = String(t.label);
  state.picked = i;
  state.hoverPaused = true;
  drawMap();
  setCode(t.mean, `test image ${i} (label ${labelName(t.label)}): its posterior mean decoded; ` +
    `−ELBO ${t.score.toFixed(1)} nats, percentile ${t.percentile.toFixed(1)} (${state.info.scores})`);
}

function wireMap() {
  const c = $("map");
  c.addEventListener("mousemove", (ev) => {
    if (state.hoverPaused) return;
    const [x, y] = fromEvent(ev);
    if (state.info.map.kind !== "linear") { // no way back from a t-SNE or UMAP position: the nearest test image's code
      const i = nearestPoint(x, y);
      if (i === state.hovered) return;
      state.hovered = i;
      api("test/" + i).then((t) => setCode(t.mean, `the test image nearest the pointer on the ${state.info.map.kind} map, ${i}`))
        .catch((e) => showError(e.message));
      return;
    }
    setCode(codeAt(x, y), `map position (${x.toFixed(2)}, ${y.toFixed(2)})`);
  });
  c.addEventListener("mouseleave", () => { state.hoverPaused = false; });
  c.addEventListener("click", (ev) => {
    const [x, y] = fromEvent(ev);
    pickTest(nearestPoint(x, y)).catch((e) => showError(e.message));
  });
}

// Interpolation between the codes A and B.
async function interpolate() {
  if (!state.a || !state.b) { showError("set A and B first"); return; }
  const frames = Number($("frames").value);
  const r = await api("interpolate", withLabel({ from: state.a, to: state.b, method: $("method").value, frames }));
  state.frames = r.frames;
  const s = $("scrub");
  s.max = String(r.frames.length - 1);
  s.value = "0";
  s.disabled = false;
  drawImage($("interp"), r.frames[0]);
  showError("");
}

async function downloadGIF(ev) {
  ev.preventDefault();
  if (!state.a || !state.b) { showError("set A and B first"); return; }
  const blob = await api("interpolate", withLabel({ from: state.a, to: state.b, method: $("method").value,
    frames: Number($("frames").value), format: "gif", loop: true }), true);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "interpolation.gif";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function wireInterpolation() {
  const set = (which) => async () => {
    state[which] = state.code.slice();
    const r = await api("decode", withLabel({ z: state[which] }));
    drawImage($("thumb-" + which), r.image);
  };
  $("set-a").addEventListener("click", () => set("a")().catch((e) => showError(e.message)));
  $("set-b").addEventListener("click", () => set("b")().catch((e) => showError(e.message)));
  $("interp-go").addEventListener("click", () => interpolate().catch((e) => showError(e.message)));
  $("scrub").addEventListener("input", () => drawImage($("interp"), state.frames[Number($("scrub").value)]));
  $("gif").addEventListener("click", (ev) => downloadGIF(ev).catch((e) => showError(e.message)));
}

// Drawing: white strokes on black, as MNIST's digits.
function clearDraw() {
  const ctx = $("draw").getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, $("draw").width, $("draw").height);
}

// drawnPixels shrinks the drawing to the model's size: values in [0, 1].
function drawnPixels() {
  const { height: h, width: w, channels: c } = state.info;
  const small = document.createElement("canvas");
  small.width = w; small.height = h;
  const sctx = small.getContext("2d");
  sctx.imageSmoothingEnabled = true;
  sctx.imageSmoothingQuality = "high";
  sctx.drawImage($("draw"), 0, 0, w, h);
  const d = sctx.getImageData(0, 0, w, h).data;
  const out = [];
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = [d[4 * i] / 255, d[4 * i + 1] / 255, d[4 * i + 2] / 255];
    if (c === 1) out.push(Math.min(1, 0.299 * r + 0.587 * g + 0.114 * b));
    else out.push(r, g, b);
  }
  return out;
}

async function encodeDrawing() {
  const r = await api("encode", withLabel({ pixels: drawnPixels(), k: 8 }));
  drawImage($("recon"), r.reconstruction);
  const score = $("score");
  score.textContent = `anomaly score (−ELBO): ${r.score.toFixed(1)} nats, ` +
    `percentile ${r.percentile.toFixed(1)} among the test images (${state.info.scores})`;
  score.dataset.ready = "1";
  const nb = $("neighbors");
  nb.replaceChildren();
  for (const n of r.neighbors) {
    const cv = document.createElement("canvas");
    cv.width = state.info.width; cv.height = state.info.height;
    cv.title = `test image ${n.index}, label ${labelName(n.label)}, distance ${n.distance.toFixed(3)}`;
    drawImage(cv, n.image);
    nb.append(cv);
  }
  state.marker = r.map;
  drawMap();
  setCode(r.mean, "the drawing's posterior mean decoded");
  showError("");
}

function wireDrawing() {
  const c = $("draw"), ctx = c.getContext("2d");
  let last = null;
  const pos = (ev) => {
    const rect = c.getBoundingClientRect();
    return [(ev.clientX - rect.left) * c.width / rect.width, (ev.clientY - rect.top) * c.height / rect.height];
  };
  c.addEventListener("pointerdown", (ev) => { last = pos(ev); c.setPointerCapture(ev.pointerId); });
  c.addEventListener("pointermove", (ev) => {
    if (!last) return;
    const p = pos(ev);
    Object.assign(ctx, { strokeStyle: "#fff", lineWidth: c.width / 12, lineCap: "round", lineJoin: "round" });
    ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...p); ctx.stroke();
    last = p;
  });
  c.addEventListener("pointerup", () => {
    if (!last) return;
    last = null;
    encodeDrawing().catch((e) => showError(e.message));
  });
  $("clear").addEventListener("click", clearDraw);
  $("upload").addEventListener("change", () => {
    const f = $("upload").files[0];
    if (!f) return;
    const img = new Image();
    img.onload = () => {
      clearDraw();
      ctx.drawImage(img, 0, 0, c.width, c.height);
      URL.revokeObjectURL(img.src);
      encodeDrawing().catch((e) => showError(e.message));
    };
    img.src = URL.createObjectURL(f);
  });
  clearDraw();
}

// wireSampling fills #prior with the run's priors (the best fitted one
// first) and makes #sample draw a new code from the chosen one: seeds 1,
// 2, 3, … so a page reload draws the same codes again.
function wireSampling() {
  const priors = state.info.priors || [];
  if (priors.length === 0) return;
  const sel = $("prior");
  priors.forEach((p) => {
    const o = document.createElement("option");
    o.value = p;
    o.textContent = p === "normal" ? "normal (N(0, I))" : p;
    sel.appendChild(o);
  });
  sel.value = priors[priors.length - 1];
  $("sample-row").hidden = false;
  let seed = 0;
  $("sample").addEventListener("click", async () => {
    seed++;
    try {
      const r = await api("sample", withLabel({ prior: sel.value, seed }));
      setCode(r.z, `a code drawn from the ${r.prior} prior (seed ${seed})`);
    } catch (e) { showError(e.message); }
  });
}

async function main() {
  state.info = await api("info");
  if (state.info.grid) return mainGrid();
  state.points = await api("points");
  const i = state.info;
  $("run-info").textContent = `${i.run} · step ${i.step} · ${i.height}×${i.width}×${i.channels} images · ` +
    `${i.latent}-D latent · ${i.test_images} test images` +
    (i.conditional ? ` · conditional on ${i.model.classes} classes` : "");
  $("map-how").textContent = `${i.map.how}: x = ${i.map.x_label}, y = ${i.map.y_label}`;
  state.bounds = fitBounds(state.points);
  buildLegend();
  buildClassPicker();
  buildSliders();
  drawMap();
  wireMap();
  wireInterpolation();
  wireDrawing();
  wireSampling();
  $("reset").addEventListener("click", () => setCode(new Array(i.latent).fill(0), "the origin"));
  setCode(new Array(i.latent).fill(0), "the origin");
}

main().catch((e) => showError(e.message));
