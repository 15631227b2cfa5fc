// Follow a running import: poll its status, move the progress bar, list each finished step with its counts;
// reload when it has finished (the page then shows the outcome and every step).
(function () {
  var box = document.getElementById("job-status");
  if (!box || ["checking", "importing"].indexOf(box.dataset.state) < 0) { return; }
  var bar = document.getElementById("job-progress");
  var label = document.getElementById("job-progress-label");
  var text = document.getElementById("job-progress-text");
  var steps = document.getElementById("job-steps");
  // The page gives the sentence in its own language, with {percent}, {done} and {total} to fill in.
  var locale = box.dataset.numberLocale || document.documentElement.lang || "en-GB";
  function stepText(s) {
    return (box.dataset.stepText || "")
      .replace("{percent}", s.percent)
      .replace("{done}", s.done.toLocaleString(locale))
      .replace("{total}", s.total.toLocaleString(locale));
  }
  function showSteps(list) {
    // Only add what is new, so a screen reader hears each step once.
    for (var i = steps.children.length; i < list.length; i++) {
      var item = document.createElement("li");
      item.textContent = list[i];
      steps.appendChild(item);
    }
  }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        showSteps(s.steps || []);
        if (s.finished) { window.setTimeout(function () { window.location.reload(); }, 800); return; }
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        if (s.label) { label.textContent = s.label; }
        text.textContent = s.total ? stepText(s) : "";
        window.setTimeout(poll, 400);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 200);
})();
