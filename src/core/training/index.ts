/**
 * src/core/training — train, evaluate and keep lab heads (pure TypeScript: browser, worker, Node).
 * The public surface; see each module for the details.
 */
export { CancelledError, drain, runSteps, type AbortFlag, type Steps } from './steps.ts';
export { TrainingInputError } from './errors.ts';
export { trainLogisticRegression, featureStats, linearLogits, argmaxRows, type LogRegOptions, type LogRegResult } from './logreg.ts';
export { DEFAULT_C_GRID, FALLBACK_C, type CSelection, type SelectCOptions } from './selectC.ts';
export { fitLinearSteps, type LinearFit, type LinearFitOptions } from './fitLinear.ts';
export { knnNeighbors, knnVote, knnPredict, knnVoteShares, createKnnHead, knnPredictProba, type KnnHead } from './knn.ts';
export { stratifiedFolds, foldAllocation, planFolds, mulberry32, SMALL_CLASS, type FoldPlan } from './folds.ts';
export { crossValidateSteps, KNN_KS, type CrossValidation, type ModelEvaluation, type LinearEvaluation, type KnnEvaluation, type FoldScores, type MetricSpread } from './crossValidate.ts';
export { fitTemperature, expectedCalibrationError, fitTemperatureOutOfFold, foldTemperature, type TemperatureFit, type ReliabilityBin } from './calibration.ts';
export { compareWithCurrentHead, currentHeadScores, matchClasses, type CurrentHeadComparison, type CurrentHeadScores } from './currentHead.ts';
export { TrainingEngine, trainSteps, trainHeadSync, settleClasses, type TrainRequest, type TrainOptions, type TrainProgress, type TrainResult, type TrainStage } from './engine.ts';
export { listLabelledFolder, suggestClassNames, renameClasses, IMAGE_EXTENSIONS, type FolderEntry, type LabelledFolderListing, type LabelledFile, type SkippedFile, type ClassSuggestion } from './labelledFolder.ts';
export { assembleTrainingSet, verifiedLabel, type TrainingSource, type TrainingSourceKind, type TrainingSetSummary, type AssembledTrainingSet, type EncoderIdentity } from './trainingSet.ts';
export { encodeEmbeddingsFile, decodeEmbeddingsFile, EmbeddingsFileError, EMBEDDINGS_MAGIC, type EmbeddingHeader, type EmbeddingsFile } from './embeddingsFile.ts';
export {
  LAB_HEAD_FORMAT, LAB_HEAD_FORMAT_VERSION, DEFAULT_HEAD_NAME, LabHeadError,
  uniqueHeadName, nextHeadVersion, headRefOf, labHeadFromTraining, knnLabHead, metricsOf, checkLabHeadFits,
  labHeadLinear, labHeadKnn, labHeadPredictProba, labHeadToJson, parseLabHead, labHeadToHeadJson, labHeadManifestEntry, labHeadFromHeadJson,
  type LabHeadRecord, type LabHeadClassifier, type LabHeadEncoder, type LabHeadMetrics, type NewLabHead,
} from './labHead.ts';
