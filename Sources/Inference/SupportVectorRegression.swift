public import ArtifactFormats
import Storage

/// Support vector regression: `sum_i dual[i] * K(sv_i, x) + intercept` in Double.
public struct SupportVectorRegression: DemandModel {
    /// Kernel functions as scikit-learn (libsvm) defines them.
    public enum Kernel: Sendable, Equatable {
        case rbf(gamma: Double)
        case linear
        case poly(gamma: Double, coef0: Double, degree: Int)
        case sigmoid(gamma: Double, coef0: Double)
    }

    public let name: String
    public var layout: InputLayout { .dense }
    public let inputWidth: Int
    public let kernel: Kernel
    let supportVectors: [Double]  // [count][inputWidth]
    let dual: [Double]
    let intercept: Double

    public init(name: String, tensors: SafeTensors, kernel spec: Manifest.Model.Kernel, inputWidth: Int) throws(ArtifactError) {
        let info = try tensors.tensor("support_vectors", dtype: .f32)
        guard info.shape.count == 2, info.shape[1] == inputWidth, info.shape[0] > 0 else {
            throw ArtifactError(file: tensors.file, .malformed("support_vectors has shape \(info.shape), expected [n, \(inputWidth)]"))
        }
        let n = info.shape[0]
        supportVectors = try tensors.floats("support_vectors").map(Double.init)
        dual = try tensors.doubles("dual_coef", shape: [n])
        intercept = try tensors.doubles("intercept", shape: [1])[0]
        switch spec.type {
        case "rbf": kernel = .rbf(gamma: spec.gamma)
        case "linear": kernel = .linear
        case "poly": kernel = .poly(gamma: spec.gamma, coef0: spec.coef0, degree: spec.degree)
        case "sigmoid": kernel = .sigmoid(gamma: spec.gamma, coef0: spec.coef0)
        default: throw ArtifactError(file: tensors.file, .unsupported("SVR kernel \(spec.type)"))
        }
        self.name = name
        self.inputWidth = inputWidth
    }

    public func predict(inputs: UnsafePointer<Float>, count: Int, stride: Int, into output: UnsafeMutablePointer<Double>) {
        let d = inputWidth
        let n = dual.count
        supportVectors.withUnsafeBufferPointer { svBuffer in
            dual.withUnsafeBufferPointer { dualBuffer in
                let sv = svBuffer.baseAddress!
                let alpha = dualBuffer.baseAddress!
                forEachChunk(count: count, chunk: 16, scratchCount: 0) { range, _ in
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { x in
                        for r in range {
                            for k in 0..<d { x[k] = Double(inputs[r * stride + k]) }
                            var sum = 0.0
                            for i in 0..<n {
                                let s = sv + i * d
                                let value: Double
                                switch kernel {
                                case .rbf(let gamma):
                                    var d2 = 0.0
                                    for k in 0..<d { let t = x[k] - s[k]; d2 += t * t }
                                    value = libmExp(-gamma * d2)
                                case .linear:
                                    value = dot(x.baseAddress!, s, d)
                                case .poly(let gamma, let coef0, let degree):
                                    value = libmPow(gamma * dot(x.baseAddress!, s, d) + coef0, Double(degree))
                                case .sigmoid(let gamma, let coef0):
                                    value = libmTanh(gamma * dot(x.baseAddress!, s, d) + coef0)
                                }
                                sum += alpha[i] * value
                            }
                            output[r] = sum + intercept
                        }
                    }
                }
            }
        }
    }
}

@inline(__always)
func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    var s = 0.0
    for k in 0..<n { s += a[k] * b[k] }
    return s
}
