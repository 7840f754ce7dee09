import { CrmAgentError, ErrorCode } from '../lib/errors.js';

/** Input the engine cannot use (empty table, one class only, text in a number column, …); the message says which. */
export class EngineInputError extends CrmAgentError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.EngineInput, message, options);
  }
}
