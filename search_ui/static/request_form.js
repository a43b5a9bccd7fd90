// The citation fields matter only for a copy: show them when "copy" is chosen.
(() => {
  "use strict";
  const citation = document.getElementById("citation");
  const radios = document.querySelectorAll("input[name=service]");
  if (!citation || !radios.length) return;
  const update = () => {
    const copy = document.getElementById("service-copy");
    citation.hidden = !(copy && copy.checked);
  };
  radios.forEach((radio) => radio.addEventListener("change", update));
  update();
})();
