import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while serving a request carries (its id), wherever it is logged. */
export interface RequestContext {
  reqId?: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
