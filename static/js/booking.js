// Booking form: show the total as quantities change (the server computes the real one).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-booking-form]");
  if (!form) return;
  const currency = form.dataset.currency || "EUR";
  const totalBox = form.querySelector(".booking-total");
  const totalOut = form.querySelector("[data-total]");
  const lang = document.documentElement.lang || "en";
  const format = new Intl.NumberFormat(lang, { style: "currency", currency });
  const update = () => {
    let cents = 0;
    form.querySelectorAll(".ticket-type").forEach((row) => {
      const price = parseInt(row.querySelector("[data-price-cents]").dataset.priceCents, 10);
      const qty = parseInt(row.querySelector("input").value, 10) || 0;
      if (qty > 0) cents += price * qty;
    });
    totalBox.hidden = cents === 0;
    totalOut.textContent = format.format(cents / 100);
  };
  form.addEventListener("input", update);
  update();
});

// Printable tickets: a button instead of an inline onclick (strict CSP).
document.addEventListener("click", (event) => {
  if (event.target.matches("[data-print]")) window.print();
});
