// The service worker (served at /sw.js, scope /; registered by js/offline.js): the app shell
// stays on the device so a page visited once (the speak page above all) opens without a
// network, and Background Sync sends the upload queue (js/queue-store.js) when the network
// comes back, even with no page open.
//
// What is cached is what the pages actually used, never a list written here (static names
// may carry content hashes): page shells (speak, validate, the task pages) are shown from the
// cache and refreshed behind; other pages are fetched from the network first and kept for when
// there is none; static files (/static/, the scripts' message catalogs under /i18n/) are taken from
// the cache when they were served as immutable (hashed names), else from the network first.
// The API is never cached here: the speak page keeps its last batch of sentences itself.

import { flushQueue, SYNC_TAG } from "/static/js/queue-store.js";

const VERSION = "v2"; // v2: page shells from the cache first
const PAGES = `crowdsource-pages-${VERSION}`;
const STATIC = `crowdsource-static-${VERSION}`;
const KEEP = { [PAGES]: 40, [STATIC]: 200 }; // entries per cache; the oldest go first

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (!(name in KEEP)) await caches.delete(name); // an older version's caches
      }
    })(),
  );
});

function isStatic(url) {
  return url.pathname.startsWith("/static/") || url.pathname.startsWith("/i18n/");
}

/** Whether a response may be kept: a whole, same-origin, direct answer that allows storing. */
function keepable(response) {
  return (
    response.status === 200 &&
    response.type === "basic" &&
    !response.redirected &&
    !/no-store/.test(response.headers.get("Cache-Control") || "")
  );
}

async function keep(cacheName, request, response) {
  if (!keepable(response)) return;
  const cache = await caches.open(cacheName);
  await cache.put(request, response);
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - KEEP[cacheName]))) await cache.delete(old);
}

async function cached(cacheName, request) {
  const cache = await caches.open(cacheName);
  return cache.match(request, { ignoreVary: true });
}

/**
 * Pages: a page shell (marked X-Page-Shell by the server: speak, validate, the task pages)
 * from the kept copy at once, refreshed from the network behind it for the next visit (no
 * round trip before a returning volunteer can start); any other page from the network (kept
 * for later), or the kept copy when there is no network.
 */
async function page(event) {
  const copy = await cached(PAGES, event.request);
  if (copy && copy.headers.get("X-Page-Shell") === "1") {
    const refresh = fetch(event.request).then((response) => keep(PAGES, event.request, response));
    event.waitUntil(refresh.catch(() => {}));
    return copy;
  }
  try {
    const response = await fetch(event.request);
    event.waitUntil(keep(PAGES, event.request, response.clone()).catch(() => {}));
    return response;
  } catch (error) {
    const copy = await cached(PAGES, event.request);
    if (copy) return copy;
    throw error;
  }
}

/** Static files: immutable ones from the cache; the others from the network, else the cache. */
async function staticFile(event) {
  const copy = await cached(STATIC, event.request);
  if (copy && /immutable/.test(copy.headers.get("Cache-Control") || "")) return copy;
  try {
    const response = await fetch(event.request);
    event.waitUntil(keep(STATIC, event.request, response.clone()).catch(() => {}));
    return response;
  } catch (error) {
    if (copy) return copy;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method === "POST" && url.pathname === "/language") {
    // A new interface language: the kept pages are in the old one.
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") return;
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (isStatic(url)) {
    event.respondWith(staticFile(event));
  }
  // Anything else (the API, audio, dashboard files) goes to the network as if we were not here.
});

/** Keep a page and the files it used (sent by js/offline.js from a page this worker did not
 * control yet, so none of it passed through here). */
async function keepShell(urls) {
  for (const href of urls) {
    const url = new URL(href, self.location.origin);
    if (url.origin !== self.location.origin) continue;
    const isPage = !isStatic(url);
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      await keep(isPage ? PAGES : STATIC, url.href, response);
    } catch {
      // offline already, or gone: the next visit keeps it
    }
  }
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "drop-pages") {
    event.waitUntil(
      caches.delete(PAGES).then(() => event.ports[0] && event.ports[0].postMessage({ dropped: true })),
    );
    return;
  }
  if (message.type !== "keep-shell" || !Array.isArray(message.urls)) return;
  const done = keepShell(message.urls.slice(0, 100).map(String)).then(() => {
    if (event.ports[0]) event.ports[0].postMessage({ kept: true });
  });
  event.waitUntil(done);
});

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  // A rejection asks the browser to try again later (it backs off by itself).
  event.waitUntil(
    flushQueue().then((done) => {
      if (!done) throw new Error("recordings still waiting to upload");
    }),
  );
});
