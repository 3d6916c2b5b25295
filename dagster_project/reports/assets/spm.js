// SPM atlas: switches the map of index.html between indicators and years. The colours,
// titles and legends are computed when the site is built (from published values only) and
// embedded in the page as JSON; nothing is loaded from anywhere else.
(function () {
  "use strict";
  var quelle = document.getElementById("atlas-daten");
  if (!quelle) { return; }
  var daten = JSON.parse(quelle.textContent);
  var indikator = document.getElementById("atlas-indikator");
  var jahr = document.getElementById("atlas-jahr");
  var karte = document.getElementById("atlas-karte");
  var legende = document.getElementById("atlas-legende");
  var titel = document.getElementById("atlas-titel");

  function jahreFuellen() {
    var jahre = daten.jahre[indikator.value] || [];
    var bisher = jahr.value;
    jahr.innerHTML = "";
    jahre.forEach(function (j) {
      var option = document.createElement("option");
      option.value = String(j);
      option.textContent = String(j);
      jahr.appendChild(option);
    });
    jahr.value = jahre.map(String).indexOf(bisher) >= 0 ? bisher : String(jahre[jahre.length - 1]);
  }

  function zeichnen() {
    var werte = (daten.werte[indikator.value] || {})[jahr.value] || {};
    karte.querySelectorAll("path.raum").forEach(function (pfad) {
      var eintrag = werte[pfad.getAttribute("data-raum")];
      var titelElement = pfad.querySelector("title");
      if (eintrag) {
        pfad.setAttribute("fill", eintrag[0]);
        pfad.setAttribute("data-status", eintrag[2]);
        if (titelElement) { titelElement.textContent = eintrag[1]; }
      }
    });
    legende.innerHTML = (daten.legenden[indikator.value] || {})[jahr.value] || "";
    titel.textContent = daten.namen[indikator.value] + ", " + jahr.value;
  }

  indikator.addEventListener("change", function () { jahreFuellen(); zeichnen(); });
  jahr.addEventListener("change", zeichnen);
})();
