// ESCO autocomplete for the intake form: progressive enhancement over plain text inputs.
// Fills each input's <datalist> with suggestions and, when one is chosen, its ESCO URI into the hidden field.
(function () {
  "use strict";
  var prefix = "/app";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var uriField = document.getElementById(input.dataset.escoUri);
    var kind = input.dataset.escoKind;
    var byLabel = {};
    var timer = null;
    var asked = "";
    function fill(suggestions) {
      byLabel = {};
      while (list.firstChild) { list.removeChild(list.firstChild); }
      suggestions.forEach(function (s) {
        var option = document.createElement("option");
        option.value = s.label;
        option.textContent = s.language === "da" ? (s.label_en || "") : (s.label_da || "");
        list.appendChild(option);
        byLabel[s.label.toLowerCase()] = s.uri;
      });
    }
    function ask() {
      var q = input.value.trim();
      if (q.length < 2 || q === asked) { return; }
      asked = q;
      fetch(prefix + "/esco/suggest?kind=" + kind + "&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (body) { if (input.value.trim() === q) { fill(body.suggestions || []); } })
        .catch(function () { fill([]); });
    }
    input.addEventListener("input", function () {
      uriField.value = byLabel[input.value.trim().toLowerCase()] || "";
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
  }
  document.querySelectorAll("input[data-esco-kind]").forEach(attach);
})();
