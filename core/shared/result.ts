// Expected failures are values: domain functions return Result<T, E>; only bugs and infrastructure throw.
export type Ok<T> = { ok: true; value: T };
export type Err<E> = { ok: false; error: E };
export type Result<T, E> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E>(error: E): Err<E> => ({ ok: false, error });

/** A user-facing failure: an i18n key with parameters, an HTTP status and optional field-level details. */
export interface AppError {
  code: string;
  messageKey: string;
  params?: Record<string, string | number>;
  status?: number;
  details?: FieldIssue[];
}

/** One problem with one piece of input: row and column for files, field for forms. */
export interface FieldIssue {
  row?: number;
  column?: string;
  field?: string;
  code: string;
  messageKey: string;
  params?: Record<string, string | number>;
}

/** Thrown from deep inside a handler to reach the error boundary with a user-facing message. */
export class AppException extends Error {
  constructor(public readonly appError: AppError) {
    super(appError.code);
    this.name = 'AppException';
  }
}

export const appError = (
  code: string,
  messageKey: string,
  status = 400,
  params?: Record<string, string | number>,
  details?: FieldIssue[],
): AppError => ({ code, messageKey, status, params, details });
