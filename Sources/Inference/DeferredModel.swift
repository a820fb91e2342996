public import ArtifactFormats
import Synchronization

/// A backup model whose building waits until the version serves: its file was verified with the
/// version, and it is built by the background task that starts right after the first load, or by the
/// first request that needs it, whichever comes first (once; a second caller waits for the first).
///
/// Backups are fallbacks, so building them (parsing 2 MB of LightGBM text, the SVR) need not delay
/// the first answer; a backup that does not build is still found at start-up, by that background task.
public final class DeferredModel: DemandModel {
    public let name: String
    public let layout: InputLayout
    public let inputWidth: Int
    private let state: Mutex<State>

    private enum State {
        case pending(@Sendable () throws(ArtifactError) -> any DemandModel)
        case built(any DemandModel)
        case failed(ArtifactError)
    }

    /// `build` makes the model; `layout` and `inputWidth` are what the manifest says it reads.
    public init(name: String, layout: InputLayout, inputWidth: Int, build: @escaping @Sendable () throws(ArtifactError) -> any DemandModel) {
        self.name = name
        self.layout = layout
        self.inputWidth = inputWidth
        state = Mutex(.pending(build))
    }

    /// The built model, building it now if nobody has.
    public func model() -> Result<any DemandModel, ArtifactError> {
        state.withLock { state in
            switch state {
            case .built(let model): return .success(model)
            case .failed(let error): return .failure(error)
            case .pending(let build):
                do throws(ArtifactError) {
                    let model = try build()
                    state = .built(model)
                    return .success(model)
                } catch {
                    state = .failed(error)
                    return .failure(error)
                }
            }
        }
    }

    /// Predicts with the built model; a model that does not build yields NaN (the chain skips it, see
    /// ``ModelChain/answer(_:)``, which reports the build error).
    public func predict(inputs: UnsafePointer<Float>, count: Int, stride: Int, into output: UnsafeMutablePointer<Double>) {
        switch model() {
        case .success(let model): model.predict(inputs: inputs, count: count, stride: stride, into: output)
        case .failure: output.update(repeating: .nan, count: count)
        }
    }
}
