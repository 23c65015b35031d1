// Pending orders: tick orders (one, all on the page, or all that match the filter) for the
// Actions menu. Without JavaScript the page still works: tick boxes one by one.
(() => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const headerBox = document.getElementById("check-all");
  const boxes = () => Array.from(form.querySelectorAll("input.order-check"));
  const selectAll = document.getElementById("select-all-input");
  const banner = document.getElementById("select-all-banner");
  const counter = form.querySelector("[data-selected-count]");
  const actions = form.querySelectorAll("[data-bulk-action]");
  const total = Number(form.dataset.total || 0);
  const waitingText = counter ? counter.textContent : "";
  // Translated in the template: data-ticked-one / data-ticked-many with "%s" for the number.
  const tickedText = (n) => (n === 1 ? form.dataset.tickedOne : form.dataset.tickedMany).replace("%s", n);

  function show(el, visible) { if (el) el.hidden = !visible; }

  function refresh() {
    const all = boxes();
    const ticked = all.filter((b) => b.checked).length;
    const matching = selectAll.value === "1";
    if (headerBox) {
      headerBox.checked = all.length > 0 && ticked === all.length;
      headerBox.indeterminate = ticked > 0 && ticked < all.length;
    }
    if (counter) counter.textContent = matching ? tickedText(total) : ticked ? tickedText(ticked) : waitingText;
    actions.forEach((button) => { button.disabled = !matching && ticked === 0; });
    show(form.querySelector("[data-bulk-hint]"), !matching && ticked === 0);
    if (banner) {
      const pageFull = all.length > 0 && ticked === all.length;
      show(banner, pageFull);
      show(banner.querySelector("[data-banner-page]"), pageFull && !matching);
      show(banner.querySelector("[data-select-matching]"), pageFull && !matching);
      show(banner.querySelector("[data-banner-all]"), matching);
      show(banner.querySelector("[data-clear-selection]"), matching);
    }
  }

  if (headerBox) {
    headerBox.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = headerBox.checked; });
      if (!headerBox.checked) selectAll.value = "";
      refresh();
    });
  }
  form.addEventListener("change", (event) => {
    if (event.target.matches("input.order-check")) {
      if (!event.target.checked) selectAll.value = "";
      refresh();
    }
  });
  form.addEventListener("click", (event) => {
    if (event.target.closest("[data-select-matching]")) { selectAll.value = "1"; refresh(); }
    if (event.target.closest("[data-clear-selection]")) {
      selectAll.value = "";
      boxes().forEach((b) => { b.checked = false; });
      refresh();
    }
  });
  refresh();
})();
