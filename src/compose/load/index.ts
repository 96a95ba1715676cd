// placeholder until the loader branch lands
import type { Project } from '../model.js';
export interface LoadOptions { files?: string[]; projectName?: string; projectDirectory?: string; profiles?: string[]; envFiles?: string[]; env: Record<string, string | undefined>; cwd: string }
export async function loadProject(_o: LoadOptions): Promise<Project> { throw new Error('loader not merged yet'); }
