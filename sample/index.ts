/** The sample data's public face: what the CLI, the tests and the benchmarks use. */
export {
  estimateSampleSize,
  generateSample,
  plantedEffects,
  type PlantedEffects,
  type SampleOptions,
} from './simulation.ts';
export { streamSample } from './stream.ts';
