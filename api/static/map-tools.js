// roadcam web map, tools: date/road/risk filters, the last drive's "new" and "not seen since"
// layers, and the export links (CSV, GeoJSON, GeoPackage, GeoParquet of what is shown).
"use strict";
(() => {
  const rc = window.roadcam;
  const $ = (id) => document.getElementById(id);
  const DATES = [["first-seen-from", "first_seen_from", "T00:00:00Z"], ["first-seen-to", "first_seen_to", "T23:59:59Z"],
                 ["last-seen-from", "last_seen_from", "T00:00:00Z"], ["last-seen-to", "last_seen_to", "T23:59:59Z"]];

  rc.queryHooks.push((p) => {
    for (const [id, param, time] of DATES) if ($(id).value) p.append(param, $(id).value + time);
    if ($("road-filter").value.trim()) p.append("road", $("road-filter").value.trim());
    if ($("risk-filter").value) p.append("risk", $("risk-filter").value);
  });

  // The export links always carry the query the list was drawn with.
  rc.defectHooks.push((features, p) => {
    for (const fmt of ["csv", "geojson", "gpkg", "parquet"]) $(`export-${fmt}`).href = `/exports/defects.${fmt}?${p}`;
  });

  const newLayer = L.layerGroup();
  const notSeenLayer = L.layerGroup();
  let drive = null;
  async function driveLayers() {
    if (!drive) drive = await rc.getJSON("/map/drive-layers");
    const when = drive.started_at ? drive.started_at.slice(0, 16).replace("T", " ") : null;
    $("drive-note").textContent = when ? `(${drive.vehicle_id}, ${when} UTC)` : "(no drive yet)";
    return drive;
  }
  function draw(layer, features, style) {
    layer.clearLayers();
    for (const f of features) {
      const [lon, lat] = f.geometry.coordinates;
      const d = f.properties;
      L.circleMarker([lat, lon], { radius: 12, fill: false, weight: 3, ...style })
        .bindTooltip(`${d.class_name} #${d.id}: ${style.label}`).on("click", () => rc.select(d.id)).addTo(layer);
    }
  }
  async function toggle(box, layer, key, style) {
    if (!box.checked) { rc.map.removeLayer(layer); return; }
    const d = await driveLayers();
    draw(layer, d[key].features, style);
    layer.addTo(rc.map);
    box.dataset.count = String(d[key].features.length);
  }
  $("layer-new").addEventListener("change", (e) => toggle(e.target, newLayer, "new", { color: "#00c853", label: "new since the last drive" }));
  $("layer-not-seen").addEventListener("change", (e) => toggle(e.target, notSeenLayer, "not_seen", { color: "#6a1b9a", dashArray: "4 3", label: "not seen by the last drive" }));
  rc.driveLayers = { newLayer, notSeenLayer };
})();
