// The Engine API's error body: Docker clients read `{"message": ...}` and nothing else. The
// status comes from lib/http's one kind -> status table.
import { messageOf } from '../../lib/errors.js';
import type { ErrorBody } from '../../lib/http/error-status.js';

export const engineErrorBody: ErrorBody = (e) => ({ message: messageOf(e) });
