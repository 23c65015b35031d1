// Back-office behaviours (no inline scripts: strict CSP).
(() => {
  // New slot: show "Last date" only for a weekly series; fill the end from the workshop's duration.
  const form = document.querySelector("form.slot-form");
  if (!form) return;
  const defaultsEl = document.getElementById("workshop-defaults");
  const defaults = defaultsEl ? JSON.parse(defaultsEl.textContent) : { durations: {}, capacities: {} };
  const durations = defaults.durations;
  const workshop = form.querySelector("[name=workshop]");
  const start = form.querySelector("[name=start_time]");
  const end = form.querySelector("[name=end_time]");
  const until = form.querySelector(".repeat-until");
  const capacity = form.querySelector("[name=capacity]");
  const showCapacity = () => {
    if (capacity && workshop) capacity.placeholder = defaults.capacities[workshop.value] || "";
  };
  let endTouched = Boolean(end && end.value);

  const fillEnd = () => {
    if (!end || endTouched || !start.value || !workshop) return;
    const minutes = durations[workshop.value];
    if (!minutes) return;
    const [h, m] = start.value.split(":").map(Number);
    const total = (h * 60 + m + minutes) % (24 * 60);
    end.value = `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
  };
  const toggleUntil = () => {
    const weekly = form.querySelector("[name=repeat]:checked");
    if (until) until.hidden = !(weekly && weekly.value === "weekly");
  };
  if (end) end.addEventListener("input", () => { endTouched = Boolean(end.value); });
  if (start) start.addEventListener("change", fillEnd);
  if (workshop) workshop.addEventListener("change", () => { endTouched = false; fillEnd(); showCapacity(); });
  form.querySelectorAll("[name=repeat]").forEach((el) => el.addEventListener("change", toggleUntil));
  toggleUntil();
  showCapacity();
})();
