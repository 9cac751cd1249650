import { EngineError } from '../../engine/engine-errors.js';

/** A model file could not be downloaded: HTTP error, or the connection kept failing (HTTP 502 when served). */
export class DownloadError extends EngineError {
  constructor(
    readonly url: string,
    detail: string,
    /** The HTTP status the server answered, when it answered. */
    readonly httpStatus?: number,
  ) {
    super(`Downloading ${url} failed: ${detail}`, 502, 'server_error', 'download_failed', 'model');
  }
}

/**
 * The downloaded bytes do not hash to the SHA-256 the caller gave. The cached copy has been dropped,
 * so a retry downloads afresh; if it fails again, the hash (or the file on the server) is wrong.
 */
export class IntegrityError extends EngineError {
  constructor(
    readonly url: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(
      `${url}: SHA-256 mismatch: expected ${expected}, got ${got}. The cached copy was deleted; ` +
        'retry the download, and if it fails again check the hash you passed against the file on the server.',
      502,
      'server_error',
      'integrity_mismatch',
      'model',
    );
  }
}
