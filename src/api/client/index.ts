// The Docker Engine API client used by the CLI and compose.
export { DockerClient, decodePathStat, type Filters, type AttachOptions, type LogsOptions } from './docker-client.js';
export { Transport, API_VERSION, buildQuery, type RequestOptions, type HijackedStream, type Query } from './transport.js';
export { ApiError, ConnectError, isApiError, parseErrorBody } from './errors.js';
export { resolveHost, parseHost, DEFAULT_HOST, type Endpoint } from './host.js';
export { StdcopyDemuxer, demuxStream, stdcopyFrame, type StdStream } from './stdcopy.js';
export { readJsonLines } from './json-lines.js';
