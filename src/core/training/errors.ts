/** A refusal: the training data cannot give a head (the message says why, for the lab). */
export class TrainingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingInputError';
  }
}
