// The audio of the next clips, fetched while the current one plays (issue #21), so that the
// answer is followed by sound without a wait. At most `limit` clips are held, as blobs behind
// object URLs; what is no longer ahead is dropped (its download aborted, its URL revoked).
// A link that redirects (to a storage host's presigned URL, on another origin: outside the
// page's connect-src, and without CORS) is not followed, so nothing is held and the player
// uses the link itself.

export class AudioPrefetch {
  constructor(limit = 2) {
    this.limit = limit;
    this.held = new Map(); // clip id -> {controller, url: object URL once arrived}
  }

  /** Fetch the audio of the first `limit` of `clips` ({id, audio_url}); drop the others. */
  keep(clips) {
    const wanted = clips.slice(0, this.limit);
    const ids = new Set(wanted.map((clip) => clip.id));
    for (const id of [...this.held.keys()]) if (!ids.has(id)) this.drop(id);
    for (const clip of wanted) {
      if (this.held.has(clip.id)) continue;
      const entry = { controller: new AbortController(), url: null };
      this.held.set(clip.id, entry);
      const options = { signal: entry.controller.signal, credentials: "same-origin", redirect: "manual" };
      fetch(clip.audio_url, options)
        .then((response) => (response.ok ? response.blob() : null))
        .then((blob) => {
          if (blob && this.held.get(clip.id) === entry) entry.url = URL.createObjectURL(blob);
        })
        .catch(() => {}); // aborted or not fetchable: the player will use the link
    }
  }

  /** The clip's audio as an object URL if it has arrived (now the caller's to revoke), else null. */
  take(id) {
    const entry = this.held.get(id);
    if (!entry?.url) return null;
    this.held.delete(id);
    return entry.url;
  }

  /** Stop fetching or holding the clip's audio. */
  drop(id) {
    const entry = this.held.get(id);
    if (!entry) return;
    entry.controller.abort();
    if (entry.url) URL.revokeObjectURL(entry.url);
    this.held.delete(id);
  }

  /** Drop everything (the round is over). */
  clear() {
    for (const id of [...this.held.keys()]) this.drop(id);
  }
}
