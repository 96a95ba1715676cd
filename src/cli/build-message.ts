// The jsonmessage fields a build stream carries (docker's classic builder).
export interface BuildJsonMessage {
  stream?: string;
  aux?: { ID?: string };
  errorDetail?: { message: string; code?: number };
  error?: string;
}
