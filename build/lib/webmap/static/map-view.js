/* Keep the map's view (centre and zoom) in the address bar and in the "Link to this view" box,
   so a copied link reopens the map where it was, with the same search. Without JavaScript the
   link box still holds the search, and the page works as a plain results page. */
(function () {
  "use strict";
  var script = document.currentScript;
  var map = script && window[script.getAttribute("data-map")];
  var box = document.getElementById("view-link");
  if (!map || !window.L || !(map instanceof L.Map)) { return; }

  function update() {
    var centre = map.getCenter();
    var url = new URL(window.location.href);
    url.searchParams.set("lat", centre.lat.toFixed(5));
    url.searchParams.set("lon", centre.lng.toFixed(5));
    url.searchParams.set("zoom", String(map.getZoom()));
    url.searchParams.delete("page");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    if (box) { box.value = url.href; }
  }

  map.on("moveend", update);
  if (box) { box.addEventListener("focus", function () { box.select(); }); }
})();
