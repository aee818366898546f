// The microphone: one take at a time with MediaRecorder, stopped by the caller or
// automatically after `maxMs`. The microphone is released after every take, so the browser's
// "recording" indicator is only on while the volunteer is actually recording.

// Best first: Opus in WebM (Chrome, Firefox, Edge), Opus in Ogg (older Firefox), AAC in MP4
// (Safari). The server accepts all of them; "" lets the browser choose.
const MIME_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];

/** The first container this browser can record, "" for its default, null if it cannot record. */
export function pickMimeType() {
  if (typeof MediaRecorder === "undefined") return null;
  return MIME_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) ?? "";
}

/** A file name for the upload, so the server's logs show what kind of file arrived. */
export function fileNameFor(mimeType) {
  if (mimeType.startsWith("audio/ogg")) return "recording.ogg";
  if (mimeType.startsWith("audio/mp4")) return "recording.m4a";
  return "recording.webm";
}

/** Why recording could not start: "denied" | "missing" | "unsupported" | "failed". */
export class MicrophoneError extends Error {
  constructor(kind, cause) {
    super(`microphone ${kind}`);
    this.kind = kind;
    this.cause = cause;
  }
}

export class Recorder {
  /**
   * `onStream(stream)` is called when a take starts (for a level meter) and may return a
   * function, called when the take's microphone is released.
   * @param {{maxMs: number, onTick?: (ms: number) => void, onAutoStop?: () => void,
   *          onStream?: (stream: MediaStream) => (void | (() => void))}} options
   */
  constructor({ maxMs, onTick = () => {}, onAutoStop = () => {}, onStream = () => {} }) {
    this.maxMs = maxMs;
    this.onTick = onTick;
    this.onAutoStop = onAutoStop;
    this.onStream = onStream;
    this.mediaRecorder = null;
    this.result = null; // Promise<{blob, mimeType, elapsedMs}> of the take being recorded
    this.timer = null;
  }

  get recording() {
    return this.mediaRecorder !== null && this.mediaRecorder.state === "recording";
  }

  /** Ask for the microphone and start a take. Throws MicrophoneError. */
  async start() {
    const mimeType = pickMimeType();
    if (mimeType === null || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new MicrophoneError("unsupported");
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      if (error.name === "NotAllowedError" || error.name === "SecurityError") {
        throw new MicrophoneError("denied", error);
      }
      if (error.name === "NotFoundError" || error.name === "OverconstrainedError") {
        throw new MicrophoneError("missing", error);
      }
      throw new MicrophoneError("failed", error);
    }

    const mediaRecorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    const chunks = [];
    mediaRecorder.addEventListener("dataavailable", (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    const startedAt = performance.now();
    const released = this.onStream(stream);
    this.result = new Promise((resolve) => {
      mediaRecorder.addEventListener("stop", () => {
        if (typeof released === "function") released();
        for (const track of stream.getTracks()) track.stop();
        const type = mediaRecorder.mimeType || mimeType || "audio/webm";
        resolve({ blob: new Blob(chunks, { type }), mimeType: type, elapsedMs: performance.now() - startedAt });
      });
    });
    mediaRecorder.start();
    this.mediaRecorder = mediaRecorder;

    this.onTick(0);
    this.timer = setInterval(() => {
      const elapsed = performance.now() - startedAt;
      this.onTick(Math.min(elapsed, this.maxMs));
      if (elapsed >= this.maxMs) this.onAutoStop();
    }, 100);
  }

  /** Stop the take; resolves to {blob, mimeType, elapsedMs}. Safe to call more than once. */
  stop() {
    clearInterval(this.timer);
    if (this.recording) this.mediaRecorder.stop();
    return this.result;
  }

  /** Stop and throw the take away (the volunteer skipped or left the sentence). */
  cancel() {
    if (this.result) this.stop();
    this.result = null;
    this.mediaRecorder = null;
  }
}
