/* Find partners: fill latitude/longitude from a click on the map or from "Use my location".
   The form works without this script (by postcode, or typed coordinates). */
(function () {
  "use strict";
  var form = document.getElementById("partners-form");
  if (!form) { return; }
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var postcode = document.getElementById("postcode");
  var status = document.getElementById("place-status");
  var holder = document.querySelector("[data-map-var]");
  var map = holder ? window[holder.getAttribute("data-map-var")] : null;
  var pin = null;

  function choose(y, x, how) {
    lat.value = y.toFixed(6);
    lon.value = x.toFixed(6);
    postcode.value = "";  // a postcode would be used first, so clear it
    status.textContent = how + ": latitude " + lat.value + ", longitude " + lon.value + ". Press Search to find places near it.";
    if (map && window.L) {
      if (pin) { pin.setLatLng([y, x]); } else { pin = L.circleMarker([y, x], {radius: 8, color: "#d4351c", weight: 3}).addTo(map); }
    }
  }

  if (map) {
    map.on("click", function (e) { choose(e.latlng.lat, e.latlng.lng, "Point chosen on the map"); });
  }

  var button = document.getElementById("my-location");
  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(
        function (pos) { choose(pos.coords.latitude, pos.coords.longitude, "Your location"); },
        function () { status.textContent = "We could not get your location. Type a postcode or click the map instead."; },
        {enableHighAccuracy: false, timeout: 10000, maximumAge: 60000}
      );
    });
  }
}());
