public import ArtifactFormats
public import LightGBM
import Storage

/// LightGBM backup model: the tree ensemble on the tree input layout.
public struct LightGBMModel: DemandModel {
    public let name: String
    public var layout: InputLayout { .tree }
    public var inputWidth: Int { ensemble.featureCount }
    public let ensemble: TreeEnsemble

    public init(name: String, text: [UInt8], file: String, inputWidth: Int) throws(ArtifactError) {
        ensemble = try TreeEnsemble(lightGBMText: text, file: file)
        guard ensemble.featureCount == inputWidth else {
            throw ArtifactError(file: file, .malformed("model reads \(ensemble.featureCount) features, the tree layout has \(inputWidth)"))
        }
        self.name = name
    }

    public func predict(inputs: UnsafePointer<Float>, count: Int, stride: Int, into output: UnsafeMutablePointer<Double>) {
        forEachChunk(count: count, chunk: 256, scratchCount: 0) { range, _ in
            ensemble.predict(rows: inputs + range.lowerBound * stride, count: range.count, stride: stride,
                             into: output + range.lowerBound)
        }
    }
}
