// Follow a running import: poll its status and move the progress bar; reload when it has finished.
(function () {
  var box = document.getElementById("job-status");
  if (!box || ["checking", "importing"].indexOf(box.dataset.state) < 0) { return; }
  var bar = document.getElementById("job-progress");
  var label = document.getElementById("job-progress-label");
  var text = document.getElementById("job-progress-text");
  var lastSaid = -10;
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.finished) { window.location.reload(); return; }
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        if (s.label) { label.textContent = s.label; }
        // Tell screen readers every 10%, not every poll.
        if (s.percent - lastSaid >= 10) { text.textContent = s.percent + "% done."; lastSaid = s.percent; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
