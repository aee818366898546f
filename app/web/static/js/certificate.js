// My certificate: progress toward one (GET /api/v1/me/certificates), the name to print
// (prefilled with the display name), and "Get my certificate": POST, then the PDF fetched in
// the page's language and saved, and the public address where anyone can check it.

import { api, ApiError } from "./api.js";
import { formatNumber, locale, t } from "./i18n.js";
import { byId, showAlert } from "./ui.js";

const form = byId("certificate-form");
const nameInput = byId("certificate-name");
const nameError = byId("certificate-name-error");
const button = byId("get-certificate");
const alertBox = byId("alert");
let pdfPath = null;

function showProgress(progress) {
  byId("progress-contributions").textContent = formatNumber(progress.contributions);
  byId("progress-validations").textContent = formatNumber(progress.validations);
  byId("bar-contributions").value = Math.min(progress.contributions, progress.contributions_needed);
  byId("bar-validations").value = Math.min(progress.validations, progress.validations_needed);
  const status = byId("progress-status");
  if (progress.eligible) {
    status.textContent = t("You can have a certificate. Thank you for your work!");
  } else {
    status.textContent = t("Still to do for a certificate: {contributions} contributions, or {validations} validations.", {
      contributions: formatNumber(progress.contributions_needed - progress.contributions),
      validations: formatNumber(progress.validations_needed - progress.validations),
    });
  }
  form.hidden = !progress.eligible;
}

/** Fetch the PDF in the page's language and hand it to the browser as a download. */
async function download(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { "Accept-Language": locale } });
  if (!response.ok) {
    let message = t("The server answered {status}. Please try again.", { status: response.status });
    try {
      message = (await response.json()).error.message || message;
    } catch {
      // not JSON: keep the general message
    }
    throw new ApiError(response.status, `http_${response.status}`, message);
  }
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `certificate-${path.split("/").pop()}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

function showIssued(certificate) {
  pdfPath = certificate.pdf;
  const link = byId("verify-link");
  link.href = certificate.url;
  link.textContent = new URL(certificate.url, window.location.href).href;
  byId("issued").hidden = false;
  byId("issued-heading").focus();
}

async function submit(event) {
  event.preventDefault();
  showAlert(alertBox, "");
  showAlert(nameError, "");
  nameInput.removeAttribute("aria-invalid");
  if (!nameInput.value.trim()) {
    showAlert(nameError, t("Please write the name to print on the certificate."));
    nameInput.setAttribute("aria-invalid", "true");
    nameInput.focus();
    return;
  }
  button.disabled = true;
  try {
    const { certificate } = await api("me/certificates", { method: "POST", json: { name: nameInput.value } });
    showIssued(certificate);
    await download(certificate.pdf);
  } catch (error) {
    if (error.field === "name") {
      showAlert(nameError, error.message);
      nameInput.setAttribute("aria-invalid", "true");
      nameInput.focus();
    } else {
      showAlert(alertBox, error.message);
    }
  } finally {
    button.disabled = false;
  }
}

async function start() {
  try {
    const [mine, me] = await Promise.all([api("me/certificates"), api("me")]);
    showProgress(mine.progress);
    nameInput.value = (me.profile && me.profile.display_name) || "";
  } catch (error) {
    showAlert(alertBox, error.message);
  }
}

form.addEventListener("submit", submit);
byId("download-again").addEventListener("click", (event) => {
  event.preventDefault();
  if (pdfPath) download(pdfPath).catch((error) => showAlert(alertBox, error.message));
});
start();
