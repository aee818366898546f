// The item of a text task on screen, on its contribute page (text-task.js) and its checking page
// (validate-text.js): the clip (transcribe), the image (label) or the source sentence
// (translate); the page has the one element its task needs.

import { t } from "./i18n.js";
import { alertWhenUnloadable } from "./round.js";

/** The page's item elements; the two its task does not use are null. */
export function taskItemElements() {
  return {
    clip: document.getElementById("clip"), // transcribe
    image: document.getElementById("image"), // label
    source: document.getElementById("source"), // translate
  };
}

/** Put `item` (from the tasks API) in the page's element. */
export function showTaskItem({ clip, image, source }, item) {
  if (clip) {
    clip.src = item.media_url;
    clip.load();
  }
  if (image) {
    if (item.width && item.height) {
      // Known size: the page does not jump when the image arrives.
      image.width = item.width;
      image.height = item.height;
    } else {
      image.removeAttribute("width");
      image.removeAttribute("height");
    }
    image.src = item.media_url;
  }
  if (source) source.textContent = item.text;
}

/** Say in `alert` when the clip or image cannot be loaded. */
export function alertWhenItemUnloadable({ clip, image }, alert) {
  if (clip) {
    alertWhenUnloadable(clip, alert, t("This clip could not be loaded. Skip it, or reload the page to try again."));
  }
  if (image) {
    alertWhenUnloadable(image, alert, t("This image could not be loaded. Skip it, or reload the page to try again."));
  }
}
