/* Place a pin on the "Add a place" map: click or tap to place it, drag it to move it, or use
   the device's location. The pin writes longitude/latitude into the form's own inputs, so the
   form works the same without this script (by postcode, or by typing the numbers). */
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

  function say(text) { if (status) { status.textContent = text; } }

  function write(latlng, how) {
    lon.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
    say("Pin " + how + " at latitude " + lat.value + ", longitude " + lon.value + ". Drag the pin to move it.");
  }

  function show(latlng) {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, autoPan: true, title: "Chosen place", alt: "Chosen place" }).addTo(map);
      marker.on("dragend", function () { write(marker.getLatLng(), "moved"); });
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

  map.on("click", function (e) { place(e.latlng, "placed"); });
  // Keyboard: Leaflet already pans with the arrow keys and zooms with + and -; Enter or Space on
  // the focused map puts the pin at its centre, where a cross is drawn while the map has focus.
  var container = map.getContainer();
  container.classList.add("pin-picker");
  container.addEventListener("keydown", function (e) {
    if (e.target !== container || (e.key !== "Enter" && e.key !== " ")) { return; }
    e.preventDefault();
    place(map.getCenter(), "placed at the centre of the map");
  });
  lon.addEventListener("change", fromInputs);
  lat.addEventListener("change", fromInputs);
  // After a form error the page comes back with the numbers filled in: show the pin again.
  if (fromInputs()) { map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15)); }

  var button = document.getElementById("use-my-location");
  if (button && navigator.geolocation) {
    button.parentNode.hidden = false;
    button.addEventListener("click", function () {
      say("Finding your location…");
      navigator.geolocation.getCurrentPosition(function (position) {
        var here = L.latLng(position.coords.latitude, position.coords.longitude);
        place(here, "placed at your location");
        map.setView(here, 17);
      }, function (error) {
        say("We could not find your location (" + error.message + "). Type a postcode or place the pin on the map instead.");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
}());
