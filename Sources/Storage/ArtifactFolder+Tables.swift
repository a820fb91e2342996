public import ArtifactFormats

// The tables of a version read from its folder, whose files `ArtifactFolder.load` has verified.

extension FeatureStore {
    /// Reads the index from `folder` and keeps the (already verified) compressed shards.
    public convenience init(folder: ArtifactFolder) throws(ArtifactError) {
        try self.init(spec: folder.manifest.featureStore) { name throws(ArtifactError) in try folder.bytes(name) }
    }
}

extension PriceResponseTable {
    /// The table of `folder`, whose manifest names the file and the draw count; `products` is the
    /// feature store index's product count.
    public init(folder: ArtifactFolder, products: Int) throws(ArtifactError) {
        let spec = folder.manifest.priceResponse
        try self.init(bytes: folder.bytes(spec.file), file: spec.file, products: products, draws: spec.draws)
    }
}
