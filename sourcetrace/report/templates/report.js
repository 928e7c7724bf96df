(function () {
  "use strict";
  var items = JSON.parse(document.getElementById("items-data").textContent);
  var body = document.body;
  var list = document.getElementById("details-list");

  document.querySelectorAll(".toggles input").forEach(function (box) {
    body.classList.toggle("hide-" + box.dataset.layer, !box.checked);
    box.addEventListener("change", function () {
      body.classList.toggle("hide-" + box.dataset.layer, !box.checked);
    });
  });

  // the claim queue: filters by who stands behind a claim, its kind and its least check-worthiness
  var queue = Array.prototype.slice.call(document.querySelectorAll(".queue li.qclaim"));
  var qSpeaker = document.getElementById("q-speaker");
  var qKind = document.getElementById("q-kind");
  var qScore = document.getElementById("q-score");
  function filterQueue() {
    var who = qSpeaker ? qSpeaker.value : "", kind = qKind ? qKind.value : "";
    var least = qScore ? parseFloat(qScore.value) || 0 : 0, shown = 0;
    queue.forEach(function (li) {
      var score = li.dataset.score === "" ? null : parseFloat(li.dataset.score);
      var keep = (!who || li.dataset.speakerKind === who) && (!kind || li.dataset.kind === kind)
        && (least <= 0 || (score !== null && score >= least));
      li.hidden = !keep;
      if (keep) shown += 1;
    });
    var note = document.getElementById("q-shown");
    if (note) note.textContent = shown + " of " + queue.length + " shown";
  }
  [qSpeaker, qKind, qScore].forEach(function (el) { if (el) { el.addEventListener("input", filterQueue); el.addEventListener("change", filterQueue); } });

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
    if (first) { first.scrollIntoView({ block: "center" }); first.focus({ preventScroll: true }); }
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

  document.querySelectorAll("a.goto[data-item]").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); event.stopPropagation(); focusItem(link.dataset.item); });
  });
  document.querySelectorAll("aside li[data-item]").forEach(function (li) {
    li.addEventListener("click", function () { focusItem(li.dataset.item); });
    li.addEventListener("keydown", function (event) { if (event.key === "Enter") focusItem(li.dataset.item); });
  });
})();
