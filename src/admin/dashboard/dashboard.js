// The admin dashboard: polls /stats.json every second, keeps the last
// HISTORY samples in memory and draws them on canvases (no library, no
// network beyond this tracker's admin listener).
"use strict";

const HISTORY = 300;  // samples kept: five minutes at one a second
const PERIOD_MS = 1000;
const COLORS = ["#3c8dbc", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d",
                "#d35400", "#2c3e50", "#f1c40f"];

const samples = [];  // {t, requests: {protocol: total}, errors: {reason: total}, gauges}

function byId(id) { return document.getElementById(id); }

function number(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + " G";
  if (n >= 1e6) return (n / 1e6).toFixed(2) + " M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + " k";
  return String(Math.round(n * 10) / 10);
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; ++i; }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
}

// Sums a labeled metric's rows by one label: {labelValue: total}.
function sumBy(rows, label) {
  const out = {};
  for (const row of rows || []) out[row[label]] = (out[row[label]] || 0) + row.value;
  return out;
}

function sample(stats) {
  const m = stats.metrics;
  const errors = {};
  for (const row of m.errors || []) {
    errors[row.protocol + " " + row.reason] = row.value;
  }
  return {
    t: performance.now() / 1000,
    requests: sumBy(m.requests, "protocol"),
    errors: errors,
    torrents: m.store_torrents,
    peers: m.store_peers,
    seeders: m.store_seeders,
    ws_peers: m.ws_peers,
  };
}

// Per-second rates between consecutive samples, for each key of `field`.
function rates(field) {
  const series = {};
  for (let i = 1; i < samples.length; ++i) {
    const a = samples[i - 1], b = samples[i];
    const dt = b.t - a.t;
    for (const key of Object.keys(b[field])) {
      if (!series[key]) series[key] = new Array(i - 1).fill(0);
      const before = a[field][key] || 0;
      series[key].push(dt > 0 ? Math.max(0, b[field][key] - before) / dt : 0);
    }
  }
  return series;
}

// Draws each series (arrays of numbers, newest last) as a line, scaled to the
// largest value, with a legend; keys whose series are all zero are left out
// of the legend. When nothing moved at all, the legend is `quiet` if given,
// else every key.
function draw(canvasId, legendId, series, quiet) {
  const canvas = byId(canvasId);
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 28;
  ctx.clearRect(0, 0, w, h);
  const keys = Object.keys(series).sort();
  let max = 0;
  for (const k of keys) for (const v of series[k]) max = Math.max(max, v);
  const top = max > 0 ? max * 1.1 : 1;
  ctx.strokeStyle = "#d0d5dd";
  ctx.fillStyle = "#5a6475";
  ctx.font = "11px sans-serif";
  ctx.lineWidth = 1;
  for (let g = 0; g <= 4; ++g) {
    const y = h - pad / 2 - (h - pad) * g / 4;
    ctx.beginPath(); ctx.moveTo(pad + 10, y); ctx.lineTo(w, y); ctx.stroke();
    ctx.fillText(number(top * g / 4), 0, y + 4);
  }
  const legend = [];
  keys.forEach((k, i) => {
    const values = series[k];
    const color = COLORS[i % COLORS.length];
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, j) => {
      const x = pad + 10 + (w - pad - 10) * (HISTORY - values.length + j) / (HISTORY - 1);
      const y = h - pad / 2 - (h - pad) * v / top;
      if (j === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
    const last = values.length ? values[values.length - 1] : 0;
    if (values.some(v => v > 0) || (max === 0 && !quiet))
      legend.push('<span><i style="background:' + color + '"></i>' + k + " " + number(last) + "</span>");
  });
  byId(legendId).innerHTML = legend.length ? legend.join("") : "<span>" + quiet + "</span>";
}

function gaugeSeries() {
  return {
    torrents: samples.map(s => s.torrents),
    peers: samples.map(s => s.peers),
    seeders: samples.map(s => s.seeders),
    "WebSocket peers": samples.map(s => s.ws_peers || 0),
  };
}

function showMemory(m) {
  const resident = m.memory_resident_bytes || 0, cap = m.memory_cap_bytes || 0;
  const bar = byId("memory-used");
  bar.classList.toggle("full", m.memory_cap_full === 1);
  if (cap > 0) {
    bar.style.width = Math.min(100, 100 * resident / cap).toFixed(1) + "%";
    byId("memory-text").textContent = bytes(resident) + " resident of a " + bytes(cap) + " cap" +
        (m.memory_cap_full === 1 ? ": full, refusing new torrents and peers" : "");
  } else {
    bar.style.width = "0";
    byId("memory-text").textContent = bytes(resident) + " resident (no cap: server.max_resident_mb = 0)";
  }
}

function showTop(top) {
  const rows = top.map(t => "<tr><td>" + t.info_hash + "</td><td>" + t.seeders + "</td><td>" +
                            t.leechers + "</td><td>" + t.downloaded + "</td></tr>");
  byId("top").innerHTML = rows.length ? rows.join("") : '<tr><td colspan="4">no torrents</td></tr>';
}

function show(stats) {
  const m = stats.metrics;
  samples.push(sample(stats));
  if (samples.length > HISTORY) samples.shift();
  byId("torrents").textContent = m.store_torrents;
  byId("seeders").textContent = m.store_seeders;
  byId("leechers").textContent = m.store_leechers;
  byId("ws-peers").textContent = m.ws_peers;
  byId("records").textContent = m.store_records;
  const throughput = rates("requests");
  let rate = 0;
  for (const k of Object.keys(throughput)) {
    const s = throughput[k];
    rate += s.length ? s[s.length - 1] : 0;
  }
  byId("rate").textContent = number(rate);
  draw("throughput", "throughput-legend", throughput);
  draw("swarms", "swarms-legend", gaugeSeries());
  draw("errors", "errors-legend", rates("errors"), "no errors in the last minutes");
  showMemory(m);
  showTop(stats.top);
}

async function poll() {
  const status = byId("status");
  try {
    const response = await fetch("/stats.json?top=20", {cache: "no-store"});
    if (!response.ok) throw new Error("HTTP " + response.status);
    show(await response.json());
    status.textContent = "live, updated " + new Date().toLocaleTimeString();
    status.classList.remove("stale");
  } catch (e) {
    status.textContent = "no answer from the tracker (" + e.message + "); retrying";
    status.classList.add("stale");
  }
  setTimeout(poll, PERIOD_MS);
}

poll();
