// "Salin" buttons beside a value (the created ticket's number and token). Without JavaScript
// the buttons stay hidden and the values are plain text that selects whole on a click.
(function () {
  var said = document.getElementById("salin-kabar");
  function tell(button, text) {
    button.textContent = text;
    if (said) { said.textContent = text; }
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http (an office intranet): the old way, through a selected text area.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy"));
  }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-salin]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-salin"));
    if (!source) { return; }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(source.textContent.trim()).then(function () {
        tell(button, "Tersalin ✓");
      }, function () {
        tell(button, "Gagal menyalin: pilih teksnya lalu salin");
      });
      setTimeout(function () { button.textContent = label; }, 3000);
    });
  });
})();
