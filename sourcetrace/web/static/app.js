// sourcetrace web app. Served as a static file (the Content-Security-Policy admits no inline script).
// Article text is untrusted: this script only ever writes with textContent, never innerHTML.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function setupAnalysis() {
    var article = document.getElementById("article");
    if (!article) return;
    var items = readJson("items-data") || {};
    var list = document.getElementById("details-list");
    var hint = document.getElementById("details-hint");
    var body = document.body;

    document.querySelectorAll(".toggles input[data-layer]").forEach(function (box) {
      body.classList.toggle("hide-" + box.dataset.layer, !box.checked);
      box.addEventListener("change", function () {
        body.classList.toggle("hide-" + box.dataset.layer, !box.checked);
      });
    });

    function row(term, value, cls) {
      if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
      var dt = document.createElement("dt");
      dt.textContent = term;
      if (cls) dt.className = cls;
      list.appendChild(dt);
      if (cls === "title") return;
      var dd = document.createElement("dd");
      dd.textContent = Array.isArray(value) ? value.join("; ") : String(value);
      list.appendChild(dd);
    }

    function show(ids) {
      list.textContent = "";
      ids.forEach(function (id) {
        var item = items[id];
        if (!item) return;
        row(item.title || id, item.title || id, "title");
        Object.keys(item).forEach(function (key) {
          if (key !== "title" && key !== "layer") row(key, item[key]);
        });
      });
      if (hint) hint.hidden = ids.length > 0;
    }

    function idsOf(el) { return (el.dataset.items || "").split(" ").filter(Boolean); }

    function focusItem(id) {
      document.querySelectorAll(".m.focus").forEach(function (el) { el.classList.remove("focus"); });
      var first = null;
      document.querySelectorAll(".m[data-items]").forEach(function (el) {
        if (idsOf(el).indexOf(id) >= 0) { el.classList.add("focus"); first = first || el; }
      });
      if (first) { first.scrollIntoView({ block: "center" }); first.focus({ preventScroll: true }); }
      show([id]);
    }

    article.addEventListener("click", function (event) {
      var el = event.target.closest ? event.target.closest(".m") : null;
      if (el) show(idsOf(el));
    });
    article.addEventListener("focusin", function (event) {
      var el = event.target.closest ? event.target.closest(".m") : null;
      if (el) show(idsOf(el));
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
    [qSpeaker, qKind, qScore].forEach(function (el) {
      if (el) { el.addEventListener("input", filterQueue); el.addEventListener("change", filterQueue); }
    });
    document.querySelectorAll("a.goto[data-item]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault(); event.stopPropagation(); focusItem(link.dataset.item);
      });
    });

    document.querySelectorAll(".panels li[data-item]").forEach(function (li) {
      li.addEventListener("click", function () { focusItem(li.dataset.item); });
      li.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); focusItem(li.dataset.item); }
      });
    });

    var download = document.getElementById("download-json");
    if (download) {
      download.addEventListener("click", function () {
        var source = document.getElementById("analysis-data");
        var data = readJson("analysis-data");
        var name = ((data && data.article && data.article.id) || "analysis").replace(/[^A-Za-z0-9._-]/g, "_");
        var blob = new Blob([source.textContent], { type: "application/json" });
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = name + ".json";
        document.body.appendChild(link);
        link.click();
        setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
      });
    }
  }

  function setupForm() {
    var form = document.getElementById("analyse-form");
    if (!form) return;
    form.addEventListener("submit", function () {
      var busy = document.getElementById("busy");
      var button = document.getElementById("analyse-button");
      if (busy) busy.hidden = false;
      if (button) button.setAttribute("aria-disabled", "true");
    });
  }

  onReady(function () { setupAnalysis(); setupForm(); });
})();
