/**
 * HTTP for every outside service hutctl reads (Home Assistant, GitHub): bounded in time and
 * bytes, the content type checked, every failure an HttpError that says what came back.
 */
export { bodySummary, describeBody, isJsonType } from './body.ts';
export { download } from './download.ts';
export { HttpError, type HttpErrorKind, isHttpError } from './error.ts';
export { type HttpRequest, type HttpResponse, request } from './request.ts';
