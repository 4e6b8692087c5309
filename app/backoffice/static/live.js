// The day's page kept live: its #live part fetched again every second and swapped in when it changed.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var state = document.getElementById("live-state");
  if (!live) { return; }
  var shown = live.innerHTML;
  function tick() {
    fetch(live.dataset.src, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) {
        if (answer.status === 401) { window.location.reload(); return null; }
        if (!answer.ok) { throw new Error(String(answer.status)); }
        return answer.text();
      })
      .then(function (html) {
        if (html !== null && html !== shown) { live.innerHTML = html; shown = html; }
        state.classList.remove("stale");
      })
      .catch(function () { state.classList.add("stale"); })
      .finally(function () { window.setTimeout(tick, 1000); });
  }
  window.setTimeout(tick, 1000);
}());
