// The Compose version berth compose reports in `version` and in the com.docker.compose.version
// label: its file format, labels and behaviour follow Compose v2's.
export const COMPOSE_VERSION = '2.29.7';
