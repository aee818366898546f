// The Profile page: the shared form, saved field by field as the volunteer changes it.

import { t } from "./i18n.js";
import { initProfileForm } from "./profile.js";
import { announce, byId } from "./ui.js";

const status = byId("status");
initProfileForm(byId("profile-form"), {
  saveOnChange: true,
  onSaved: () => announce(status, t("Saved.")),
});
