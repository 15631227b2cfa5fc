/* Accessible names for what folium and Leaflet draw, so the map makes sense to screen readers.
   Runs after the maps' own scripts (base.html loads it last); nothing here is needed for the
   map to work, and the list or table after each map carries the same information. Its words, in
   the page's language, come from the page's #map-words JSON block (no English here). */
(function () {
  "use strict";
  if (!window.L) { return; }
  var block = document.getElementById("map-words"), words = {};
  try { words = block ? JSON.parse(block.textContent) : {}; } catch (e) { words = {}; }

  // Text of an HTML snippet, without running it: folium tooltips arrive as escaped HTML strings.
  function plainText(html) {
    var doc = new DOMParser().parseFromString(String(html), "text/html");
    var rows = doc.querySelectorAll("tr");
    if (rows.length) {
      return Array.prototype.map.call(rows, function (row) {
        return Array.prototype.map.call(row.children, function (cell) { return cell.textContent.trim(); }).join(" ");
      }).join(", ");
    }
    return doc.body.textContent.replace(/\s+/g, " ").trim();
  }

  function tooltipText(group, layer) {
    var tip = (layer.getTooltip && layer.getTooltip()) || (group && group.getTooltip && group.getTooltip());
    if (!tip) { return ""; }
    var content = tip.getContent();
    return plainText(typeof content === "function" ? content(layer) : content);
  }

  // Shapes (wards, areas) become named images: Leaflet already lets Tab reach them to show their tooltip.
  function nameShapes(map) {
    map.eachLayer(function (group) {
      if (!(group instanceof L.GeoJSON)) { return; }
      group.eachLayer(function (layer) {
        var el = layer.getElement && layer.getElement();
        var name = tooltipText(group, layer);
        if (el && name) {
          el.setAttribute("role", "img");
          el.setAttribute("aria-label", name);
        }
      });
    });
  }

  // Cluster bubbles are announced as buttons, but markercluster 1.4 only zooms on a click:
  // make Enter do what a click does (markercluster 1.5 does the same thing itself).
  function clustersOpenWithEnter(map) {
    map.eachLayer(function (layer) {
      if (!L.MarkerClusterGroup || !(layer instanceof L.MarkerClusterGroup) || layer._enterZooms) { return; }
      layer._enterZooms = true;
      layer.on("clusterkeypress", function (e) {
        if (!e.originalEvent || e.originalEvent.keyCode !== 13) { return; }
        if (layer._zoomOrSpiderfy) { layer._zoomOrSpiderfy(e); } else { e.layer.zoomToBounds(); }
      });
    });
  }

  document.querySelectorAll(".folium-map").forEach(function (div) {
    var map = window[div.id];
    if (!map || !(map instanceof L.Map)) { return; }
    div.setAttribute("role", "group");
    if (words.map) { div.setAttribute("aria-label", words.map); }
    nameShapes(map);
    clustersOpenWithEnter(map);
    map.on("layeradd", function (e) { if (e.layer instanceof L.GeoJSON) { nameShapes(map); } });
  });
})();
