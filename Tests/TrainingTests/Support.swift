// TrainingTests: test support.
