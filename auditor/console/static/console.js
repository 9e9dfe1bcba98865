// Progressive enhancement only: every page works without this file.
// On a run's status page, poll the JSON status instead of reloading the whole page.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || !box.dataset.statusUrl) { return; }
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (!refresh) { return; }
  refresh.remove();
  function tick() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (p) {
        document.getElementById("run-checks").textContent = p.checks_done.length + " / " + p.checks_total;
        if (p.running) { setTimeout(tick, 2000); } else { window.location.reload(); }
      }).catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 2000);
})();
