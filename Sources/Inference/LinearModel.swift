public import ArtifactFormats

/// ElasticNet (any linear model): `coef · x + intercept` in Double.
public struct LinearModel: DemandModel {
    public let name: String
    public var layout: InputLayout { .dense }
    public let inputWidth: Int
    let coefficients: [Double]
    let intercept: Double

    public init(name: String, tensors: SafeTensors, inputWidth: Int) throws(ArtifactError) {
        coefficients = try tensors.doubles("coef", shape: [inputWidth])
        intercept = try tensors.doubles("intercept", shape: [1])[0]
        self.name = name
        self.inputWidth = inputWidth
    }

    public func predict(inputs: UnsafePointer<Float>, count: Int, stride: Int, into output: UnsafeMutablePointer<Double>) {
        coefficients.withUnsafeBufferPointer { c in
            for r in 0..<count {
                var s = 0.0
                for k in 0..<inputWidth { s += c[k] * Double(inputs[r * stride + k]) }
                output[r] = s + intercept
            }
        }
    }
}
