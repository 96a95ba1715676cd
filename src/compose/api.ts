// The Engine API calls compose makes, as a narrow interface over DockerClient: the executor and
// the observer take this, so a fake can stand in for unit tests of their decisions.
import type { DockerClient } from '../api/client/docker-client.js';

export type ComposeApi = Pick<
  DockerClient,
  | 'containerList' | 'containerInspect' | 'containerCreate' | 'containerStart' | 'containerStop' | 'containerRestart'
  | 'containerKill' | 'containerPause' | 'containerUnpause' | 'containerRemove' | 'containerRename' | 'containerWait'
  | 'containerLogs' | 'containerAttach' | 'containerTop' | 'containerResize' | 'containerArchiveGet' | 'containerArchivePut'
  | 'execCreate' | 'execStart' | 'execStartDetached' | 'execInspect' | 'execResize'
  | 'imageInspect' | 'imageCreate' | 'imageBuild' | 'imageRemove' | 'imageList'
  | 'networkList' | 'networkCreate' | 'networkInspect' | 'networkRemove' | 'networkConnect' | 'networkDisconnect'
  | 'volumeList' | 'volumeCreate' | 'volumeInspect' | 'volumeRemove'
  | 'events' | 'version'
>;
