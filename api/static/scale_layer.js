// roadcam scalable defect layer: every defect of a county, loaded by what is on screen.
// Below street zoom (15) each 256-px tile is drawn from /tiles/defects/{z}/{x}/{y}.json as
// grid cells with their exact counts (circles sized by count, numbers on them); from zoom 15
// on, the defects themselves, as clickable markers. The status line says how many defects
// are in view, exactly (or "at least" where a street tile was truncated).
// Usage (map.js): const layer = roadcamScaleLayer(map, { query, onSelect, onCount });
"use strict";

function roadcamScaleLayer(map, options) {
  const colours = options.colours || { pothole: "#d7191c", crack: "#fdae61", faded_marking: "#2c7bb6", skip: "#7b3294" };
  const tiles = new Map(); // key -> {data, markers}
  const markers = L.layerGroup().addTo(map);
  const key = (c) => `${c.z}/${c.x}/${c.y}`;

  function drawCells(canvas, coords, data) {
    const ctx = canvas.getContext("2d");
    const origin = coords.scaleBy(L.point(256, 256));
    ctx.font = "bold 11px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const c of data.cells) {
      const p = map.project([c.lat, c.lon], coords.z).subtract(origin);
      const r = Math.min(14, 6 + 2.5 * Math.log10(c.count + 1));  // cells are 32 px apart
      const main = ["pothole", "crack", "faded_marking", "skip"].reduce((a, b) => (c[b] > c[a] ? b : a));
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
      ctx.fillStyle = colours[main] || "#555";
      ctx.globalAlpha = 0.75;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = "#222";
      ctx.stroke();
      ctx.fillStyle = "#000";
      ctx.fillText(c.count >= 10000 ? `${Math.round(c.count / 1000)}k` : String(c.count), p.x, p.y);
    }
  }

  function addFeatures(k, data) {
    const group = [];
    for (const f of data.features) {
      const m = L.circleMarker([f.lat, f.lon], {
        radius: 6, color: "#000", weight: 1, fillColor: colours[f.class_name] || "#333", fillOpacity: 0.9,
      }).bindTooltip(`${f.class_name} #${f.id}`);
      m.on("click", () => options.onSelect && options.onSelect(f.id));
      m.addTo(markers);
      group.push(m);
    }
    return group;
  }

  const Layer = L.GridLayer.extend({
    createTile(coords, done) {
      const canvas = L.DomUtil.create("canvas", "roadcam-scale-tile");
      canvas.width = canvas.height = 256;
      const k = key(coords);
      const params = options.query ? options.query() : new URLSearchParams();
      roadcamAuth.fetch(`/tiles/defects/${k}.json?${params}`)
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status}`))))
        .then((data) => {
          const entry = { data, markers: [] };
          if (data.clustered) drawCells(canvas, coords, data);
          else entry.markers = addFeatures(k, data);
          tiles.set(k, entry);
          done(null, canvas);
          schedule();
        })
        .catch((err) => done(err, canvas));
      return canvas;
    },
  });
  const layer = new Layer({ tileSize: 256, updateWhenZooming: false, keepBuffer: 1 });
  layer.on("tileunload", (e) => {
    const k = key(e.coords);
    const entry = tiles.get(k);
    if (entry) entry.markers.forEach((m) => markers.removeLayer(m));
    tiles.delete(k);
    schedule();
  });
  let loading = true;
  layer.on("loading", () => { loading = true; });
  layer.on("load", () => { loading = false; schedule(); });
  layer.addTo(map);

  function stats() {
    const b = map.getBounds();
    const z = Math.round(map.getZoom());
    let inView = 0, cells = 0, features = 0, truncated = false, clustered = false;
    for (const [k, { data }] of tiles) {
      if (data.z !== z) continue;
      const items = data.clustered ? data.cells : data.features;
      for (const it of items) {
        if (!b.contains([it.lat, it.lon])) continue;
        inView += data.clustered ? it.count : 1;
        if (data.clustered) cells += 1; else features += 1;
      }
      truncated = truncated || data.truncated;
      clustered = clustered || data.clustered;
    }
    return { inView, cells, features, truncated, clustered, loading, zoom: z };
  }

  let timer = null;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const s = stats();
      const n = `${s.truncated || s.loading ? "at least " : ""}${s.inView.toLocaleString("en-GB")}`;
      const how = s.loading ? "(loading…)"
        : s.clustered ? `in ${s.cells} cells (zoom in to see single defects)` : "shown one by one";
      if (options.onCount) options.onCount(`${n} defects in view, ${how}`, s);
    }, 50);
  }
  map.on("moveend", schedule);

  const api = {
    layer,
    markers,
    stats,
    refresh() {
      markers.clearLayers();
      tiles.clear();
      layer.redraw();
    },
  };
  if (window.roadcam) window.roadcam.scale = api;  // for tests and the browser console
  return api;
}
window.roadcamScaleLayer = roadcamScaleLayer;
