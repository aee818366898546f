// On every page (base.html): the service worker that keeps the app shell (sw.js), and the
// upload queue's sender. Takes waiting in the queue (queue-store.js) are sent, oldest first,
// when a page opens, when the network comes back (`online`), after a growing pause while they
// keep failing, and by Background Sync (the worker) where the browser has it. Nothing here is
// shown: the speak page shows the queue (upload-queue.js).

import { flushQueue, onQueueChange, SYNC_TAG } from "./queue-store.js";

const FIRST_PAUSE_MS = 5_000;
const LONGEST_PAUSE_MS = 5 * 60_000;

let registration = null;
let timer = null;
let pause = FIRST_PAUSE_MS;

/** Register the worker; null where service workers are missing or refused (http, old browser). */
async function registerWorker() {
  if (!("serviceWorker" in navigator)) return null;
  try {
    // A module worker (it shares queue-store.js with the pages); updates are checked against
    // the network, never the HTTP cache.
    return await navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module", updateViaCache: "none" });
  } catch {
    return null;
  }
}

/** The same-origin files this page loaded that the worker keeps: static files and catalogs. */
function shellUrls() {
  const page = new URL(location.href);
  page.hash = "";
  const files = performance
    .getEntriesByType("resource")
    .map((entry) => new URL(entry.name))
    .filter((url) => url.origin === location.origin)
    .filter((url) => url.pathname.startsWith("/static/") || url.pathname.startsWith("/i18n/"))
    .map((url) => url.href);
  return [page.href, ...new Set(files)];
}

/**
 * A page the worker did not control (the first visit) did not pass through it: hand it the
 * page and its files to keep. <html data-offline="ready"> once this page would open offline.
 */
async function keepThisPage() {
  const ready = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller && ready.active) {
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      ready.active.postMessage({ type: "keep-shell", urls: shellUrls() }, [channel.port2]);
    });
  }
  document.documentElement.dataset.offline = "ready";
}

/** Ask the browser to wake the worker when the network is back (Background Sync). */
async function askForSync() {
  try {
    if (registration && registration.sync) await registration.sync.register(SYNC_TAG);
  } catch {
    // not allowed here (permissions, private mode): the page's own retries remain
  }
}

/** Send what waits; while some is left, try again after a growing pause (or when online). */
async function sendWaiting() {
  clearTimeout(timer);
  timer = null;
  let done;
  try {
    done = await flushQueue();
  } catch {
    return; // IndexedDB unavailable: there is no queue on this device
  }
  if (done) {
    pause = FIRST_PAUSE_MS;
    return;
  }
  askForSync();
  if (navigator.onLine === false) return; // the `online` event will call again
  timer = setTimeout(sendWaiting, pause);
  pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
}

window.addEventListener("online", () => {
  pause = FIRST_PAUSE_MS;
  sendWaiting();
});

// A take joined the queue (the speak page sends it itself first): make sure a retry is planned
// in case that send finds no network.
onQueueChange((message) => {
  if (message.type === "added" && timer === null) {
    askForSync();
    timer = setTimeout(sendWaiting, pause);
  }
});

/**
 * A page shown from the worker's copy may be in another interface language than the one chosen
 * since (the switcher's cookie; the switcher also has the worker drop its pages): drop the kept
 * pages and load this one again, at most once per address in a tab (never a loop).
 */
function reloadIfInAnotherLanguage() {
  const chosen = document.cookie.match(/(?:^|;\s*)cs_locale=([^;]+)/)?.[1];
  const worker = navigator.serviceWorker?.controller;
  if (!chosen || chosen === document.documentElement.lang || !worker) return;
  try {
    const key = "crowdsource.language-reload";
    if (sessionStorage.getItem(key) === location.pathname) return;
    sessionStorage.setItem(key, location.pathname);
  } catch {
    return; // no session storage: no way to be sure it happens once
  }
  const channel = new MessageChannel();
  channel.port1.onmessage = () => location.reload();
  worker.postMessage({ type: "drop-pages" }, [channel.port2]);
}

reloadIfInAnotherLanguage();
registration = await registerWorker();
if (registration) keepThisPage().catch(() => {});
sendWaiting();
