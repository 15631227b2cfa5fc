/* Place a pin on the "Add a place" map: click or tap to place it, drag it to move it, or use
   the device's location. The pin writes longitude/latitude into the form's own inputs, so the
   form works the same without this script (by postcode, or by typing the numbers).
   Its words, in the page's language, come from the page's #map-words JSON block (no English here). */
(function () {
  "use strict";
  var box = document.getElementById("location-picker");
  if (!box || !window.L) { return; }
  var map = window[box.getAttribute("data-map")];
  var lon = document.getElementById(box.getAttribute("data-lon"));
  var lat = document.getElementById(box.getAttribute("data-lat"));
  var status = document.getElementById("location-status");
  if (!map || !lon || !lat) { return; }
  var marker = null;
  var block = document.getElementById("map-words"), words = {};
  try { words = block ? JSON.parse(block.textContent) : {}; } catch (e) { words = {}; }

  function fill(key, values) {
    return String(words[key] || "").replace(/%\((\w+)\)s/g, function (all, name) { return values[name]; });
  }

  function say(text) { if (status) { status.textContent = text; } }

  function write(latlng, how) {
    lon.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
    say(fill(how, {lat: lat.value, lon: lon.value}));
  }

  function show(latlng) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, autoPan: true, title: fill("chosenPlace", {}), alt: fill("chosenPlace", {}) }).addTo(map);
      marker.on("dragend", function () { write(marker.getLatLng(), "pinMoved"); });
    } else {
      marker.setLatLng(latlng);
    }
  }

  function place(latlng, how) { show(latlng); write(latlng, how); }

  function fromInputs() {
    var x = parseFloat(lon.value), y = parseFloat(lat.value);
    if (isFinite(x) && isFinite(y) && Math.abs(x) <= 180 && Math.abs(y) <= 90) {
      show(L.latLng(y, x));
      return true;
    }
    return false;
  }

  map.on("click", function (e) { place(e.latlng, "pinPlaced"); });
  // Keyboard: Leaflet already pans with the arrow keys and zooms with + and -; Enter or Space on
  // the focused map puts the pin at its centre, where a cross is drawn while the map has focus.
  var container = map.getContainer();
  container.classList.add("pin-picker");
  container.addEventListener("keydown", function (e) {
    if (e.target !== container || (e.key !== "Enter" && e.key !== " ")) { return; }
    e.preventDefault();
    place(map.getCenter(), "pinCentre");
  });
  lon.addEventListener("change", fromInputs);
  lat.addEventListener("change", fromInputs);
  // After a form error the page comes back with the numbers filled in: show the pin again.
  if (fromInputs()) { map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15)); }

  var button = document.getElementById("use-my-location");
  if (button && navigator.geolocation) {
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      say(fill("finding", {}));
      navigator.geolocation.getCurrentPosition(function (position) {
        var here = L.latLng(position.coords.latitude, position.coords.longitude);
        place(here, "pinHere");
        map.setView(here, 17);
      }, function (error) {
        say(fill("notFound", {reason: error.message}));
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
}());
