/** Thin worker entry: exposes the UMAP engine over comlink. Terminate the worker to free its memory. */
import * as Comlink from 'comlink';
import { UmapEngine } from './umap.ts';

Comlink.expose(new UmapEngine());
