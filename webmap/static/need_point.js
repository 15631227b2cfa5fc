/* Point picker for the needs form: clicking the map fills the latitude and longitude boxes.
   Without JavaScript the boxes still work; this only adds the map (Leaflet served by this site). */
(function () {
  "use strict";
  var box = document.getElementById("point-map");
  if (!box || typeof L === "undefined") { return; }
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  box.hidden = false;
  var map = L.map(box, { scrollWheelZoom: false });
  var bounds = JSON.parse(box.dataset.bounds || "null");
  if (bounds) {
    map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]);
  } else {
    map.setView([54.0, -2.5], 6);
  }
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution || "" }).addTo(map);
  }
  if (box.dataset.wards) {
    fetch(box.dataset.wards, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) {
          L.geoJSON(data, { style: { color: "#1d4f91", weight: 1, fillOpacity: 0.05 }, interactive: false }).addTo(map);
        }
      })
      .catch(function () { /* the outlines are a help, not a need */ });
  }
  var marker = null;
  function place(lat, lon) {
    if (marker) { marker.setLatLng([lat, lon]); }
    else { marker = L.marker([lat, lon], { alt: box.dataset.markerAlt || "", keyboard: false }).addTo(map); }
  }
  var startLat = parseFloat(latInput.value), startLon = parseFloat(lonInput.value);
  if (isFinite(startLat) && isFinite(startLon)) { place(startLat, startLon); }
  map.on("click", function (e) {
    latInput.value = e.latlng.lat.toFixed(5);
    lonInput.value = e.latlng.lng.toFixed(5);
    place(e.latlng.lat, e.latlng.lng);
  });
})();
