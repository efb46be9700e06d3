// painrx: type-ahead for the header search box (progressive enhancement; the site works without it).
(function () {
  "use strict";
  var timer = null;
  function suggest(input, list) {
    var q = input.value.trim();
    if (q.length < 2) { return; }
    fetch("/api/v1/search?limit=8&q=" + encodeURIComponent(q), { headers: { "accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        (data.results || []).forEach(function (hit) {
          var option = document.createElement("option");
          option.value = hit.title;
          list.appendChild(option);
        });
      })
      .catch(function () { /* suggestions are optional */ });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("data-suggest"));
      if (!list) { return; }
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { suggest(input, list); }, 200);
      });
    });
  });
})();

// Type-ahead for medication boxes: drug names of every kind from the vocabulary (generic,
// brand, salt, combination, French), as the user types (progressive enhancement).
(function () {
  "use strict";
  var timer = null;
  function names(input, list) {
    var prefix = input.value.trim();
    if (prefix.length < 2) { return; }
    fetch("/api/v1/names?limit=12&prefix=" + encodeURIComponent(prefix), { headers: { "accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { names: [] }; })
      .then(function (data) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        (data.names || []).forEach(function (hit) {
          var option = document.createElement("option");
          option.value = hit.name;
          option.label = hit.name + " (" + hit.substances.join(" + ") + ")";
          list.appendChild(option);
        });
      })
      .catch(function () { /* suggestions are optional */ });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-names]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("data-names"));
      if (!list) { return; }
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { names(input, list); }, 150);
      });
    });
  });
})();
