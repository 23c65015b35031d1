// Privatisation forms: add/remove proposed-slot rows, company fields, the customer's time zone.
// No inline scripts (strict CSP): everything is wired from data-* attributes.
(function () {
  "use strict";

  function renumber(box) {
    const prefix = box.dataset.prefix;
    const rows = box.querySelectorAll("[data-rows] > [data-row]");
    const pattern = new RegExp(prefix + "-(\\d+|__prefix__)-");
    rows.forEach((row, index) => {
      row.querySelectorAll("input, select, textarea, label").forEach((el) => {
        ["name", "id", "for"].forEach((attr) => {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(pattern, prefix + "-" + index + "-"));
        });
      });
    });
    box.querySelector("input[name='" + prefix + "-TOTAL_FORMS']").value = rows.length;
    const max = parseInt(box.dataset.max || "10", 10);
    const add = box.querySelector("[data-add-row]");
    const full = rows.length >= max;
    add.disabled = full;
    box.querySelector("[data-max-note]").hidden = !full;
    const min = box.dataset.prefix === "slots" ? 1 : 0;
    box.querySelectorAll("[data-remove-row]").forEach((b) => { b.disabled = rows.length <= min; });
  }

  function setup(box) {
    const list = box.querySelector("[data-rows]");
    const template = box.querySelector("template[data-row-template]");
    box.addEventListener("click", (event) => {
      if (event.target.closest("[data-add-row]")) {
        const max = parseInt(box.dataset.max || "10", 10);
        if (list.children.length >= max) return;
        list.appendChild(template.content.cloneNode(true));
        renumber(box);
        const inputs = list.lastElementChild.querySelectorAll("input");
        if (inputs.length) inputs[0].focus();
      }
      const remove = event.target.closest("[data-remove-row]");
      if (remove) {
        remove.closest("[data-row]").remove();
        renumber(box);
      }
    });
    renumber(box);
  }

  function companyFields(form) {
    const box = form.querySelector("[data-company-fields]");
    if (!box) return;
    const update = () => {
      const checked = form.querySelector("input[name='kind']:checked");
      const kind = checked ? checked.value : "individual";
      box.hidden = kind !== "company";
      // Each kind's own answer deadline, earliest date and price wording.
      form.querySelectorAll("[data-kind-terms]").forEach((el) => { el.hidden = el.dataset.kindTerms !== kind; });
    };
    form.addEventListener("change", (event) => { if (event.target.name === "kind") update(); });
    update();
  }

  function answerFields(form) {
    const box = form.querySelector("[data-answer-only]");
    if (!box) return;
    const update = () => {
      const checked = form.querySelector("input[name='decision']:checked");
      box.hidden = checked && checked.value === "refuse";
    };
    form.addEventListener("change", (event) => { if (event.target.name === "decision") update(); });
    update();
  }

  // Ask before an action that cannot be undone (withdrawing a request).
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset ? event.target.dataset.confirm : null;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-slot-rows]").forEach(setup);
    document.querySelectorAll("[data-request-form]").forEach((form) => {
      companyFields(form);
      const tz = form.querySelector("input[name='customer_timezone']");
      try {
        if (tz && !tz.value) tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      } catch (e) { /* keep the workshop's time zone */ }
    });
    document.querySelectorAll("[data-manage-form]").forEach(answerFields);
  });
})();
