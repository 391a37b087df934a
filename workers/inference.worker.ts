/** Thin worker entry: exposes one typed engine over comlink. Terminate the worker to free WASM memory. */
import * as Comlink from 'comlink';
import { InferenceEngine } from './engine.ts';

Comlink.expose(new InferenceEngine());
