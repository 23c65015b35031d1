// The door (check-in page): scan tickets' QR codes with the camera and post each code with
// fetch; the answer replaces the #door panel. Without JavaScript (or a camera) the code field
// posts the same form. Decoding: the browser's BarcodeDetector where it reads QR codes, else the
// vendored jsQR (static/vendor/jsqr-1.4.0.js, Apache-2.0).
(() => {
  const form = document.getElementById("checkin-form");
  if (!form) return;
  const field = form.querySelector("[name=code]");
  const scanner = document.getElementById("scanner");
  const startButton = document.getElementById("scan-start");
  const stopButton = document.getElementById("scan-stop");
  const view = document.getElementById("scan-view");
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  const REPEAT_MS = 3000;
  const FRAME_MS = 150;
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let detector = null;
  let stream = null;
  let timer = null;
  let busy = false;
  let last = { code: "", at: 0 };

  // --- decoding --------------------------------------------------------------------------------
  function decodeImageData(imageData) {
    if (typeof window.jsQR !== "function") return null;
    const found = window.jsQR(imageData.data, imageData.width, imageData.height, { inversionAttempts: "attemptBoth" });
    return found && found.data ? found.data : null;
  }

  // A frame of `source` (a video, an image, a canvas), scaled to at most 800 px wide.
  function frameOf(source, width, height) {
    const scale = Math.min(1, 800 / Math.max(width, 1));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    return context.getImageData(0, 0, canvas.width, canvas.height);
  }

  async function decode(source, width, height) {
    if (detector) {
      try {
        const codes = await detector.detect(source);
        if (codes.length) return codes[0].rawValue;
      } catch (error) {
        detector = null; // this browser's detector cannot read it: the vendored decoder takes over
      }
    }
    return decodeImageData(frameOf(source, width, height));
  }

  async function setUpDetector() {
    if (!("BarcodeDetector" in window)) return;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) {
      detector = null;
    }
  }

  // --- posting a code --------------------------------------------------------------------------
  async function submit() {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      });
      const answer = new DOMParser().parseFromString(await response.text(), "text/html");
      ["door", "arrivals"].forEach((id) => {
        const fresh = answer.getElementById(id);
        const current = document.getElementById(id);
        if (fresh && current) current.replaceWith(fresh);
      });
      field.value = "";
      const result = document.querySelector("#door .checkin-result");
      if (result && stream) result.scrollIntoView({ block: "nearest" }); // scanning: keep it in sight
    } catch (error) {
      form.submit(); // no answer from the fetch: the plain form still works
    } finally {
      busy = false;
    }
  }

  // A code still in view (seen again within REPEAT_MS of its last sighting) is the same scan.
  function scanned(code) {
    const now = Date.now();
    if (!code) return false;
    const repeated = code === last.code && now - last.at < REPEAT_MS;
    if (repeated || busy) {
      if (repeated) last.at = now;
      return false;
    }
    last = { code, at: now };
    field.value = code;
    submit();
    return true;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (field.value.trim()) submit();
  });

  // --- the camera ------------------------------------------------------------------------------
  const say = (text) => { status.textContent = text; };

  async function tick() {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      const code = await decode(video, video.videoWidth, video.videoHeight);
      if (code) scanned(code);
    }
    if (stream) timer = setTimeout(tick, FRAME_MS);
  }

  function stop() {
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    view.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
    say("");
  }

  async function start() {
    say(scanner.dataset.starting);
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      stream = null;
      const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      say(denied ? scanner.dataset.denied : scanner.dataset.unavailable);
      scanner.dataset.state = denied ? "denied" : "unavailable";
      field.focus();
      return;
    }
    video.srcObject = stream;
    view.hidden = false;
    startButton.hidden = true;
    stopButton.hidden = false;
    scanner.dataset.state = "scanning";
    say(scanner.dataset.scanning);
    await video.play().catch(() => null);
    tick();
  }

  // The page's own decoder, for the browser tests: decode an image as the camera path does.
  window.atelierCheckIn = { decode, decodeImageData, scanned };

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scanner.hidden = false;
    setUpDetector();
    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", stop);
    window.addEventListener("pagehide", stop);
  }
})();
