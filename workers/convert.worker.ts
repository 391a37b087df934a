/** Thin worker entry: the checkpoint converter over comlink. The page terminates it after each conversion (frees WASM memory). */
import * as Comlink from 'comlink';
import { CheckpointConverter } from './converter.ts';

Comlink.expose(new CheckpointConverter());
