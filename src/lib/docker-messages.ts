// Docker's error messages, in one place, because clients (the docker CLI, docker-py, compose)
// parse some of them. Domain code builds its errors from these. The common ones also carry a
// stable code (lib/errors.ts), so Berth's own clients can match on the code instead of the text.
import { conflict, invalidArgument, notFound, unavailable } from './errors.js';

export const noSuchContainer = (ref: string) => notFound(`No such container: ${ref}`, undefined, { code: 'NO_SUCH_CONTAINER' });
export const noSuchImage = (ref: string) => notFound(`No such image: ${ref}`, undefined, { code: 'NO_SUCH_IMAGE' });
export const noSuchExec = (id: string) => notFound(`No such exec instance: ${id}`, undefined, { code: 'NO_SUCH_EXEC' });
export const noSuchVolume = (name: string) => notFound(`get ${name}: no such volume`, undefined, { code: 'NO_SUCH_VOLUME' });
export const noSuchNetwork = (name: string) => notFound(`network ${name} not found`, undefined, { code: 'NO_SUCH_NETWORK' });
export const containerNameInUse = (name: string, id: string) =>
  conflict(
    `Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
    undefined,
    { code: 'NAME_IN_USE' },
  );
export const networkNameInUse = (name: string) => conflict(`network with name ${name} already exists`, undefined, { code: 'NAME_IN_USE' });
export const containerNotRunning = (id: string) => conflict(`Container ${id} is not running`, undefined, { code: 'CONTAINER_NOT_RUNNING' });
export const containerPaused = (id: string) =>
  conflict(`Container ${id} is paused, unpause the container before stopping or killing`, undefined, { code: 'CONTAINER_PAUSED' });
export const containerIsRunning = (id: string) =>
  conflict(`You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`, undefined, {
    code: 'CONTAINER_RUNNING',
  });
export const containerRestarting = (id: string) =>
  conflict(`You cannot remove a restarting container ${id}. Stop the container before attempting removal or force remove`, undefined, {
    code: 'CONTAINER_RESTARTING',
  });
// Swarm, which Berth does not run: dockerd's answers on a node that never joined one
// (daemon/cluster: errNoManager for every manager-gated call, errNoSwarm for leave), both 503.
export const notSwarmManager = () =>
  unavailable('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.', undefined, {
    code: 'NOT_SWARM_MANAGER',
  });
export const notPartOfSwarm = () => unavailable('This node is not part of a swarm', undefined, { code: 'NOT_PART_OF_SWARM' });
export const invalidReference = (ref: string) =>
  invalidArgument(`invalid reference format: repository name (${ref}) must be lowercase`, undefined, { code: 'INVALID_REFERENCE' });
export const invalidReferenceFormat = () => invalidArgument('invalid reference format', undefined, { code: 'INVALID_REFERENCE' });
// Users and groups inside an image (libcontainer's user lookup texts, surfaced by dockerd).
export const unableToFindUser = (name: string) => invalidArgument(`unable to find user ${name}: no matching entries in passwd file`);
export const unableToFindGroup = (name: string) => invalidArgument(`unable to find group ${name}: no matching entries in group file`);
// Image delete conflicts, worded as moby's daemon/images/image_delete.go.
export const imageReferenceInUse = (ref: string, containerShortId: string, imageShortId: string) =>
  conflict(
    `conflict: unable to remove repository reference "${ref}" (must force) - container ${containerShortId} is using its referenced image ${imageShortId}`,
    undefined,
    { code: 'IMAGE_IN_USE' },
  );
export const imageDeleteConflict = (imageShortId: string, hard: boolean, message: string) =>
  conflict(`conflict: unable to delete ${imageShortId} (${hard ? 'cannot be forced' : 'must be forced'}) - ${message}`, undefined, { code: 'IMAGE_IN_USE' });
// Volumes and mounts, worded as moby's volume store (OpErr: "<op> <name>: <err>") and mount parser.
export const volumeInUse = (name: string, containerIds: string[]) =>
  conflict(`remove ${name}: volume is in use - [${containerIds.join(', ')}]`, undefined, { code: 'VOLUME_IN_USE' });
export const invalidVolumeName = (name: string) =>
  invalidArgument(
    `create ${name}: ${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  );
export const volumeNameTooShort = (name: string) =>
  invalidArgument(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
export const duplicateMountPoint = (destination: string) => invalidArgument(`Duplicate mount point: ${destination}`);
export const invalidMountConfig = (type: string, reason: string) => invalidArgument(`invalid mount config for type ${JSON.stringify(type)}: ${reason}`);
export const invalidVolumeSpec = (raw: string, reason?: string) => invalidArgument(`invalid volume specification: '${raw}'${reason ? `: ${reason}` : ''}`);
// ADD <url> (moby's remotecontext/downloadSource texts) and --checksum (BuildKit's and go-digest's).
export const downloadFailedStatus = (url: string, status: string, body: string) => invalidArgument(`failed to GET ${url} with status ${status}: ${body}`);
export const cannotDetermineFilename = (url: string) => invalidArgument(`cannot determine filename from url: ${url}`);
export const checksumNonHttp = () => invalidArgument("checksum can't be specified for non-HTTP(S) sources");
export const invalidChecksum = (text: string, reason: string) => invalidArgument(`${reason}: ${text}`);
export const digestMismatch = (expected: string, actual: string) =>
  invalidArgument(`digest mismatch ${expected}: ${actual}`, undefined, { code: 'DIGEST_INVALID' });
// POST /build networkmode=container:<x> (BuildKit's text; Berth's builder cannot join another container's namespace).
export const buildNetworkModeNotSupported = (mode: string) => invalidArgument(`network mode ${JSON.stringify(mode)} not supported by this builder`);
