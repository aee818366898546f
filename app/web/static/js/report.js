// The "Report" dialog of the contributor pages (_report_dialog.html): pick a reason (a note is
// required for "other"), POST /api/v1/reports, then let the page move on (round.js's setUpReport).

import { api, withRetries } from "./api.js";
import { t } from "./i18n.js";
import { byId, showAlert } from "./ui.js";

/**
 * Wire the dialog to `button`.
 * @param {object} options
 * @param {"sentence"|"recording"|"item"|"contribution"} options.target what is being reported
 * @param {() => (number|string|null)} options.currentId the id of the item on screen
 * @param {() => void} options.onReported called after the report was accepted
 */
export function setUpReportDialog(button, { target, currentId, onReported }) {
  const dialog = byId("report-dialog");
  const form = byId("report-form");
  const note = byId("report-note");
  const error = byId("report-error");
  const cancel = byId("report-cancel");

  button.addEventListener("click", () => {
    if (currentId() === null) return;
    form.reset();
    showAlert(error, "");
    dialog.showModal();
  });
  cancel.addEventListener("click", () => dialog.close());

  form.addEventListener("submit", async (event) => {
    event.preventDefault(); // we close the dialog ourselves, once the server has the report
    const reason = new FormData(form).get("reason");
    const text = note.value.trim();
    if (!reason) {
      showAlert(error, t("Choose what is wrong."));
      return;
    }
    if (reason === "other" && !text) {
      showAlert(error, t("Please tell us what is wrong in the box."));
      note.focus();
      return;
    }
    const body = { target, id: currentId(), reason };
    if (text) body.note = text;
    const send = form.querySelector("button[type=submit]");
    send.disabled = true;
    try {
      await withRetries(() => api("reports", { method: "POST", json: body }), { attempts: 3 });
      dialog.close();
      onReported();
    } catch (problem) {
      showAlert(error, problem.message);
    } finally {
      send.disabled = false;
    }
  });
}
