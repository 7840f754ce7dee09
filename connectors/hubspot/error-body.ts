import { ErrorBody } from './schemas.js';

/**
 * HubSpot's error body from a failed answer's text (the one parser for API, token and OAuth answers): its
 * `category`/`errorType`/`policyName`/`message` (or OAuth's `error`/`error_description`); a body that is not
 * such JSON keeps its first 200 characters as the message.
 */
export function parseErrorBody(text: string): ErrorBody {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : { message: text.slice(0, 200) };
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** A successful answer's JSON body; undefined when it is not JSON (its schema then reports it malformed). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
