// The browser-safe part of the API client: what dashboard/ may import (no Node modules behind it).
export { FetchClient, type FetchLogsOptions, type Filters } from './fetch-client.js';
export { FetchTransport, type FetchRequestOptions, type FetchTransportOptions } from './fetch-transport.js';
export { StdFrameReader, type FrameStream } from './std-frames.js';
export { ApiError, isApiError } from './errors.js';
export { API_VERSION, buildQuery, type Query } from './query.js';
