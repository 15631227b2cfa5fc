/* Load a map's ward outlines and places piece by piece for the view (see webmap/scale/).
 *
 * Ward outlines come in tiles of a zoom coarser than the map's, simplified for the zoom; a ward met
 * by several tiles is drawn once. Places come per map tile: counts per grid cell where there are
 * many (drawn as numbered circles that zoom in when selected), the places themselves where there
 * are few (clustered here, with popups built from text nodes so typed text stays text).
 * The map's container carries data-wards-shown, data-places-shown and data-viewport-pending, so
 * tests and assistive scripts can tell what is drawn.
 */
(function () {
  "use strict";

  function tilesFor(bounds, z) {
    var n = Math.pow(2, z), out = [];
    function tx(lon) { return Math.max(0, Math.min(n - 1, Math.floor((lon + 180) / 360 * n))); }
    function ty(lat) {
      var r = lat * Math.PI / 180;
      return Math.max(0, Math.min(n - 1, Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n)));
    }
    var x0 = tx(bounds.getWest()), x1 = tx(bounds.getEast()), y0 = ty(bounds.getNorth()), y1 = ty(bounds.getSouth());
    for (var x = x0; x <= x1; x++) { for (var y = y0; y <= y1; y++) { out.push([z, x, y]); } }
    return out;
  }

  function fill(template, t) {
    return template.replace("{z}", t[0]).replace("{x}", t[1]).replace("{y}", t[2]);
  }

  function text(tag, value) { var el = document.createElement(tag); el.textContent = value; return el; }

  function clusterIcon(n, words) {
    var size = n < 10 ? "small" : (n < 100 ? "medium" : "large");
    var label = n >= 10000 ? Math.round(n / 1000) + "k" : String(n);
    // <div><span>12<span class="visually-hidden"> places here…</span></span></div>, the words as text.
    var outer = document.createElement("div"), inner = document.createElement("div"), count = text("span", label);
    count.appendChild(text("span", words.zoomIn)).className = "visually-hidden";
    inner.appendChild(count);
    outer.appendChild(inner);
    return L.divIcon({html: outer.innerHTML, className: "marker-cluster marker-cluster-" + size, iconSize: new L.Point(40, 40)});
  }

  /* The words shown come from the page (o.words), in its language: this file holds none. */
  function say(template, name, value) {
    return template.split("{" + name + "}").join(value);
  }

  window.webmapViewport = function (map, o) {
    var box = map.getContainer(), pending = 0, words = o.words || {};
    map.setMinZoom(o.minZoom || 5);

    function busy(d) { pending += d; box.dataset.viewportPending = String(pending); }
    function getJson(url, done) {
      busy(1);
      fetch(url, {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(done).catch(function (err) {
        box.dataset.viewportError = url + ": " + err.message;
      }).then(function () { busy(-1); });
    }

    /* Ward outlines */
    var wards = null, wardCodes = {}, wardTiles = {}, wardLevel = -1, shownWards = 0;
    if (o.wards) {
      // One canvas for thousands of outlines: SVG would add a DOM node per ward and take seconds to draw.
      wards = L.geoJSON(null, {
        renderer: L.canvas({padding: 0.2}),
        style: function (f) {
          var entry = o.fills && o.fills[f.properties.code];
          if (o.fills) {
            return {color: "#0b0c0c", weight: 1, fillColor: entry ? entry[0] : o.noData, fillOpacity: 0.75};
          }
          return {color: "#1d4f91", weight: map.getZoom() < 11 ? 1 : 2, fillColor: "#1d4f91", fillOpacity: 0.05};
        }
      }).addTo(map);
      // The tooltip, highlight and link belong to the layer of all wards, not to each of its thousands
      // of outlines: its events name the outline (e.layer), so nothing is made per ward until it is met.
      wards.bindTooltip(function (layer) {
        var f = layer.feature, entry = o.fills && o.fills[f.properties.code];
        var tip = document.createElement("div");
        tip.appendChild(text("strong", f.properties.name));
        ((entry && entry.slice(1)) || (o.fills ? [o.noDataLabel] : [])).forEach(function (line) {
          tip.appendChild(document.createElement("br"));
          tip.appendChild(text("span", line));
        });
        return tip;
      }, {sticky: true});
      wards.on("mouseover", function (e) { e.layer.setStyle({weight: 4}); });
      wards.on("mouseout", function (e) { wards.resetStyle(e.layer); });
      if (o.link) {
        wards.on("click", function (e) {
          window.location.href = o.link.replace("{code}", encodeURIComponent(e.layer.feature.properties.code));
        });
      }
    }

    // Tiles wholly outside the area's wards ([west, south, east, north], when the page says) hold none.
    function inArea(t) {
      if (!o.extent) { return true; }
      var n = Math.pow(2, t[0]);
      function lat(y) { var k = Math.PI - 2 * Math.PI * y / n; return 180 / Math.PI * Math.atan(0.5 * (Math.exp(k) - Math.exp(-k))); }
      var west = t[1] / n * 360 - 180, east = (t[1] + 1) / n * 360 - 180, north = lat(t[2]), south = lat(t[2] + 1);
      return west <= o.extent[2] && east >= o.extent[0] && south <= o.extent[3] && north >= o.extent[1];
    }

    function levelFor(zoom) {
      var level = 0;
      o.wardZooms.forEach(function (lz, i) { if (zoom >= lz[0]) { level = i; } });
      return level;
    }

    function loadWards() {
      var level = levelFor(map.getZoom());
      if (level !== wardLevel) { wards.clearLayers(); wardCodes = {}; wardTiles = {}; wardLevel = level; shownWards = 0; }
      var lz = o.wardZooms[level];
      tilesFor(map.getBounds().pad(0.1), lz[1]).forEach(function (t) {
        var key = t.join("/");
        if (wardTiles[key] || !inArea(t)) { return; }
        wardTiles[key] = true;
        getJson(fill(o.wards, t) + "&zoom=" + lz[0], function (data) {
          if (data.level !== wardLevel) { return; }
          data.features = data.features.filter(function (f) {
            if (wardCodes[f.properties.code]) { return false; }
            wardCodes[f.properties.code] = true;
            return true;
          });
          wards.addData(data);
          shownWards += data.features.length;
          box.dataset.wardsShown = String(shownWards);
        });
      });
    }

    /* Places */
    var counts = L.layerGroup(), points = null, placeTiles = {}, placeZoom = -1, shownPlaces = 0;
    if (o.places) {
      counts.addTo(map);
      points = L.markerClusterGroup({iconCreateFunction: function (c) { return clusterIcon(c.getChildCount(), words); }}).addTo(map);
    }

    function addCount(row) {
      var marker = L.marker([row[0], row[1]], {icon: clusterIcon(row[2], words), keyboard: true, title: say(words.placesHere, "n", row[2])});
      marker.on("click", function () { map.setView([row[0], row[1]], Math.min(map.getZoom() + 2, 18)); });
      counts.addLayer(marker);
    }

    function addPlace(r) {
      // r: [lat, lon, id, name, categories, ward]
      var marker = L.marker([r[0], r[1]], {alt: r[3], title: r[3], keyboard: true});
      marker.bindTooltip(function () { return text("span", r[3]); });
      marker.bindPopup(function () {
        var popup = document.createElement("div");
        popup.appendChild(text("strong", r[3]));
        [[words.type, r[4]], [words.ward, r[5]]].forEach(function (line) {
          if (line[1]) { popup.appendChild(document.createElement("br")); popup.appendChild(text("span", line[0] + ": " + line[1])); }
        });
        popup.appendChild(document.createElement("br"));
        var link = text("a", say(words.more, "name", r[3]));
        link.href = "/assets/" + r[2];
        popup.appendChild(link);
        return popup;
      }, {maxWidth: 300});
      return marker;
    }

    function loadPlaces() {
      var zoom = Math.max(Math.round(map.getZoom()), o.minZoom || 5);
      if (zoom !== placeZoom) { counts.clearLayers(); points.clearLayers(); placeTiles = {}; placeZoom = zoom; shownPlaces = 0; }
      tilesFor(map.getBounds(), zoom).forEach(function (t) {
        var key = t.join("/");
        if (placeTiles[key]) { return; }
        placeTiles[key] = true;
        getJson(fill(o.places, t), function (data) {
          if (t[0] !== placeZoom) { return; }
          (data.clusters || []).forEach(function (row) { addCount(row); shownPlaces += row[2]; });
          if (data.places) { points.addLayers(data.places.map(addPlace)); shownPlaces += data.places.length; }
          box.dataset.placesShown = String(shownPlaces);
        });
      });
    }

    function update() {
      if (wards) { loadWards(); }
      if (o.places) { loadPlaces(); }
    }
    map.on("moveend", update);
    map.whenReady(update);
  };
})();
