/** The sample data's public face: what the CLI, the tests and the benchmarks use. */
export { estimateSampleSize } from './estimate.ts';
export { defaultStart, type SampleOptions, type SlaPolicy } from './options.ts';
export { plantedEffects, type PlantedEffects } from './planted.ts';
export { generateSample } from './simulation.ts';
export { streamSample } from './stream.ts';
export { SAMPLE_DISPLAY_NAMES } from './names.ts';
