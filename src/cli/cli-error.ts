// Errors the CLI turns into an exit status and a message, docker-style.

/** Print `message` (if any) to stderr and exit with `status`. */
export class StatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'StatusError';
  }
}

/** Bad flags or arguments: docker prints the message, the usage line and a hint; exit 125. */
export class UsageError extends StatusError {
  constructor(message: string, status = 125) {
    super(status, message);
    this.name = 'UsageError';
  }
}
