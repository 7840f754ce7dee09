/**
 * Salesforce's error shapes. The REST API answers failures with a JSON array of `{ message, errorCode, fields? }`;
 * save results (collections, composite) carry `{ statusCode, message, fields }` per record instead.
 */
export class SalesforceError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
    this.name = 'SalesforceError';
  }

  /** The REST body: `[{ message, errorCode, fields? }]`. */
  toBody(): Array<{ message: string; errorCode: string; fields?: string[] }> {
    return [
      this.fields.length > 0
        ? { message: this.message, errorCode: this.errorCode, fields: this.fields }
        : { message: this.message, errorCode: this.errorCode },
    ];
  }

  /** One entry of a save result's `errors`. */
  toSaveError(): { statusCode: string; message: string; fields: string[] } {
    return { statusCode: this.errorCode, message: this.message, fields: this.fields };
  }
}

export const sessionInvalid = () => new SalesforceError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');

export const notFound = (message = 'The requested resource does not exist') =>
  new SalesforceError(404, 'NOT_FOUND', message);

export const malformedId = (what: string, id: string) =>
  new SalesforceError(400, 'MALFORMED_ID', `${what}: id value of incorrect type: ${id}`);

export const jsonParserError = (message: string) => new SalesforceError(400, 'JSON_PARSER_ERROR', message);

/** Where a SOQL problem is: Salesforce quotes the query, points at the column, and names the problem. */
export function soqlError(
  errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE' | 'INVALID_QUERY_FILTER_OPERATOR',
  query: string,
  position: { row: number; column: number },
  problem: string,
): SalesforceError {
  const line = query.split('\n')[position.row - 1] ?? query;
  const caret = `${' '.repeat(Math.max(0, position.column - 1))}^`;
  return new SalesforceError(
    400,
    errorCode,
    `\n${line}\n${caret}\nERROR at Row:${position.row}:Column:${position.column}\n${problem}`,
  );
}
