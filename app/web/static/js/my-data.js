// Your data: the download is a plain link to the zip; deleting asks in a dialog (tick to
// confirm), sends DELETE /api/v1/me and shows what was removed.

import { api } from "./api.js";
import { formatNumber, t } from "./i18n.js";
import { byId } from "./ui.js";

const dialog = byId("delete-dialog");
const confirmBox = byId("delete-confirm");
const submit = byId("delete-submit");
const error = byId("delete-error");

function showError(text) {
  error.textContent = text;
  error.hidden = false;
}

byId("delete").addEventListener("click", () => {
  confirmBox.checked = false;
  error.hidden = true;
  dialog.showModal();
  confirmBox.focus();
});

byId("delete-cancel").addEventListener("click", () => dialog.close());

byId("delete-form").addEventListener("submit", async (event) => {
  event.preventDefault(); // closed by us once the server has answered
  if (!confirmBox.checked) {
    showError(t("Tick the box to confirm."));
    confirmBox.focus();
    return;
  }
  submit.disabled = true;
  try {
    const answer = await api("me", { method: "DELETE", json: { confirm: submit.dataset.confirmation } });
    dialog.close();
    for (const [name, value] of Object.entries(answer.removed)) {
      const cell = document.getElementById(`removed-${name}`);
      if (cell) cell.textContent = formatNumber(value);
    }
    byId("delete-section").hidden = true;
    byId("download").hidden = true;
    const done = byId("done");
    done.hidden = false;
    done.focus();
  } catch (failure) {
    showError(failure.message);
  } finally {
    submit.disabled = false;
  }
});

