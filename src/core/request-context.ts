import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line written while serving a request or a WebSocket frame carries (the request
 * id, or the connection id), wherever it is logged.
 */
export interface RequestContext {
  reqId?: string;
  connectionId?: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
