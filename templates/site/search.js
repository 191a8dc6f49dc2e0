// Search over module titles and outcomes, in the browser, with no server:
// the index is loaded by search-index.js as window.CURRICULUM_SEARCH.
// Results are built with textContent, so module text is never parsed as HTML.
(function () {
  "use strict";
  var input = document.getElementById("search");
  var list = document.getElementById("search-results");
  if (!input || !list || !window.CURRICULUM_SEARCH) {
    return;
  }
  var root = input.form.getAttribute("data-root") || "";
  input.form.addEventListener("submit", function (event) { event.preventDefault(); });
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!words.length) {
      return;
    }
    window.CURRICULUM_SEARCH.filter(function (entry) {
      return words.every(function (word) { return entry.text.indexOf(word) !== -1; });
    }).slice(0, 50).forEach(function (entry) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + "modules/" + entry.id + ".html";
      link.textContent = entry.title;
      item.appendChild(link);
      list.appendChild(item);
    });
  });
}());
