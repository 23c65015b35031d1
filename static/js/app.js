// Small behaviours shared by every page. No inline scripts: the pages keep a strict CSP.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]")) el.form.requestSubmit();
});
