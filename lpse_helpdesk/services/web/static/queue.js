// Live queue: re-fetch the table fragment every 15 s. Without JavaScript the page still works
// (filters, sorting and the reload link are plain links and forms).
(function () {
  var box = document.getElementById("antrean");
  if (!box || !window.fetch) { return; }
  function refresh() {
    fetch(box.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () { /* keep the last table; the next tick retries */ });
  }
  setInterval(refresh, 15000);
})();
