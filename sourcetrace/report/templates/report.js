(function () {
  "use strict";
  var items = JSON.parse(document.getElementById("items-data").textContent);
  var body = document.body;
  var list = document.getElementById("details-list");

  document.querySelectorAll(".toggles input").forEach(function (box) {
    box.addEventListener("change", function () {
      body.classList.toggle("hide-" + box.dataset.layer, !box.checked);
    });
  });

  function row(term, value) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
    var dt = document.createElement("dt"); dt.textContent = term;
    var dd = document.createElement("dd");
    dd.textContent = Array.isArray(value) ? value.join("; ") : String(value);
    list.appendChild(dt); list.appendChild(dd);
  }

  function show(ids) {
    list.textContent = "";
    ids.forEach(function (id) {
      var item = items[id];
      if (!item) return;
      row("", item.title);
      Object.keys(item).forEach(function (key) {
        if (key !== "title" && key !== "layer") row(key, item[key]);
      });
    });
  }

  function focusItem(id) {
    document.querySelectorAll(".m.focus").forEach(function (el) { el.classList.remove("focus"); });
    var first = null;
    document.querySelectorAll(".m").forEach(function (el) {
      if ((el.dataset.items || "").split(" ").indexOf(id) >= 0) { el.classList.add("focus"); first = first || el; }
    });
    if (first) first.scrollIntoView({ block: "center" });
    show([id]);
  }

  document.getElementById("article").addEventListener("click", function (event) {
    var el = event.target.closest(".m");
    if (el) show((el.dataset.items || "").split(" ").filter(Boolean));
  });
  document.getElementById("article").addEventListener("focusin", function (event) {
    var el = event.target.closest(".m");
    if (el) show((el.dataset.items || "").split(" ").filter(Boolean));
  });
  // technique highlights under the reader's score are unstyled (the class comes off: other layers keep theirs)
  var scoreInput = document.getElementById("technique-min-score");
  if (scoreInput) {
    var techniqueMarks = Array.prototype.slice.call(document.querySelectorAll("#article .m.l-technique"));
    var techniqueIds = Object.keys(items).filter(function (id) { return items[id].layer === "technique"; });
    scoreInput.addEventListener("input", function () {
      var least = parseFloat(scoreInput.value);
      var kept = function (id) { return items[id] && items[id].layer === "technique" && items[id].score >= least; };
      techniqueMarks.forEach(function (el) {
        el.classList.toggle("l-technique", (el.dataset.items || "").split(" ").some(kept));
      });
      document.getElementById("technique-min-score-value").textContent = least.toFixed(2);
      document.getElementById("technique-shown").textContent =
        techniqueIds.filter(kept).length + " of " + techniqueIds.length + " highlighted.";
    });
  }

  document.querySelectorAll("aside li[data-item]").forEach(function (li) {
    li.addEventListener("click", function () { focusItem(li.dataset.item); });
    li.addEventListener("keydown", function (event) { if (event.key === "Enter") focusItem(li.dataset.item); });
  });
})();
