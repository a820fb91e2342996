@testable import ArtifactFormats
import FuzzSupport

/// The feature store: its index (gzip'd JSON) and its shards (gzip'd safetensors). The first byte
/// picks what the rest is: 0 an index and 1 a shard, both gzip'd here so the fuzzer works on the
/// JSON and safetensors inside; 2 and 3 the same read as gzip directly. Properties:
/// - an index or shard loads or is refused with an ``ArtifactError`` naming its file;
/// - a loaded index has the manifest's columns, and every product points into the shards with
///   sane row numbers, found again by its stockcode;
/// - a loaded shard is whole rows of the manifest's width.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFeatureStore(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    let bytes = mode & 2 == 0 ? Gzip.compress(rest) : rest
    if mode & 1 == 0 {
        do {
            let index = try FeatureStore.readIndex(bytes, spec: spec)
            require(index.columns == spec.columns, "index columns \(index.columns)")
            for (position, product) in index.products.enumerated() {
                require((0..<spec.shards).contains(product.shard) && product.rowOffset >= 0 && product.rowCount >= 0,
                        "product \(product.stockcode) in shard \(product.shard) rows \(product.rowOffset)+\(product.rowCount)")
                let found = index.byCode[product.stockcode]
                require(found.map { index.products[$0].stockcode == product.stockcode && $0 >= position } == true,
                        "stockcode \(product.stockcode.debugDescription) maps to \(found.map(String.init) ?? "nothing")")
            }
            require(index.byCode.count <= index.products.count, "more stockcodes than products")
        } catch {
            require(error.file == spec.index, "index error names \(error.file)")
        }
    } else {
        do {
            let rows = try FeatureStore.readShard(bytes, file: shardFile, width: spec.columns.count)
            require(rows.count % spec.columns.count == 0, "\(rows.count) floats are not whole rows of \(spec.columns.count)")
        } catch {
            require(error.file == shardFile, "shard error names \(error.file)")
        }
    }
    return 0
}

/// The committed version's feature store (models/*/manifest.json), which the seed corpus follows.
private let spec = Manifest.FeatureStore(
    index: "features/products.json.gz", shards: 32, shardPattern: "features/context-{shard:03d}.safetensors.gz",
    columns: ["log_units_lag1", "log_units_lag2", "log_units_mean_4w", "log_units_mean_13w", "log_lines_mean_4w",
              "log_units_mean_hist", "log_lines_lag1", "log_lines_ewm", "log_weeks_listed", "woy_sin", "woy_cos",
              "log_reference_price", "desc_keyword"],
    rowsPerProduct: 13, products: 4000)

private let shardFile = "features/context-000.safetensors.gz"
