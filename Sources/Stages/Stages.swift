// Module Stages: one file per stage kind, each a small adapter from a stage's typed params to the
// compute modules. This file lists the kinds the shipped `runner` can run.
import Pipeline

public enum Stages {
    /// Every stage kind implemented so far. A recipe that uses another kind validates and plans,
    /// and `apply` names the stages it cannot run yet.
    public static var builtinRegistry: StageRegistry {
        StageRegistry([LoadStage(), QuantizeStage(), PrepareKbitStage(), LoraStage(), DatasetStage(), TrainStage(), SaveStage(),
                       MergeStage(), ExportStage(), GenerateStage(), EvalStage(), PushStage()],
                      remoteSources: HubRemoteSources())
    }
}
