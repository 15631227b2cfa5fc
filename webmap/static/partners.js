/* Find partners: fill latitude/longitude from a click on the map or from "Use my location".
   The form works without this script (by postcode, or typed coordinates). Its words come from the
   form's data- attributes, written by the page in the reader's language. */
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

  function words(name) { return form.getAttribute("data-" + name) || ""; }

  function choose(y, x, how) {
    lat.value = y.toFixed(6);
    lon.value = x.toFixed(6);
    postcode.value = "";  // a postcode would be used first, so clear it
    status.textContent = words("chosen").replace("{how}", how).replace("{lat}", lat.value).replace("{lon}", lon.value);
    if (map && window.L) {
      if (pin) { pin.setLatLng([y, x]); } else { pin = L.circleMarker([y, x], {radius: 8, color: "#d4351c", weight: 3}).addTo(map); }
    }
  }

  if (map) {
    map.on("click", function (e) { choose(e.latlng.lat, e.latlng.lng, words("chosen-on-map")); });
  }

  var button = document.getElementById("my-location");
  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = words("finding");
      navigator.geolocation.getCurrentPosition(
        function (pos) { choose(pos.coords.latitude, pos.coords.longitude, words("your-location")); },
        function () { status.textContent = words("no-location"); },
        {enableHighAccuracy: false, timeout: 10000, maximumAge: 60000}
      );
    });
  }
}());
