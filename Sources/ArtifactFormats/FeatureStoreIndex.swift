/// The feature store's index (`features/products.json.gz`, inflated): its columns, shard count and
/// every product, read with ``JSONScanner`` because it is read at every cold start and JSONDecoder
/// spent most of the load on it. Members the service does not use are skipped; a missing one is an
/// error naming the product and the field.
struct FeatureStoreIndex {
    let columns: [String]
    let shards: Int
    let products: [ProductRecord]

    init(json: [UInt8], file: String) throws(ArtifactError) {
        var columns: [String]?
        var shards: Int?
        var products: [ProductRecord]?
        try json.withUnsafeBufferPointer { buffer throws(ArtifactError) in
            var scanner = JSONScanner(buffer, file: file)
            try scanner.object { scanner, key throws(ArtifactError) in
                switch key {
                case "columns":
                    var names: [String] = []
                    try scanner.array { scanner throws(ArtifactError) in names.append(try scanner.string()) }
                    columns = names
                case "shards": shards = try scanner.int()
                case "products":
                    var records: [ProductRecord] = []
                    try scanner.array { scanner throws(ArtifactError) in
                        records.append(try Self.product(&scanner, index: records.count, file: file))
                    }
                    products = records
                default: try scanner.skipValue()
                }
            }
            try scanner.end()
        }
        func missing(_ field: String) -> ArtifactError { ArtifactError(file: file, .malformed("the index has no \"\(field)\"")) }
        guard let columns else { throw missing("columns") }
        guard let shards else { throw missing("shards") }
        guard let products else { throw missing("products") }
        self.columns = columns
        self.shards = shards
        self.products = products
    }

    private static func product(_ scanner: inout JSONScanner, index: Int, file: String) throws(ArtifactError) -> ProductRecord {
        var stockcode: String?, description: String?, firstSold: String?, lastSold: String?
        var lines: Int?, shard: Int?, rowOffset: Int?, rowCount: Int?
        var price: PriceStats?
        try scanner.object { scanner, key throws(ArtifactError) in
            switch key {
            case "stockcode": stockcode = try scanner.string()
            case "description": description = try scanner.string()
            case "lines": lines = try scanner.int()
            case "price": price = try priceStats(&scanner, product: index, file: file)
            case "first_sold": firstSold = try scanner.string()
            case "last_sold": lastSold = try scanner.string()
            case "shard": shard = try scanner.int()
            case "row_offset": rowOffset = try scanner.int()
            case "row_count": rowCount = try scanner.int()
            default: try scanner.skipValue()
            }
        }
        func missing(_ field: String) -> ArtifactError {
            ArtifactError(file: file, .malformed("products[\(index)]\(stockcode.map { " (\($0))" } ?? "") has no \"\(field)\""))
        }
        guard let stockcode else { throw missing("stockcode") }
        guard let description else { throw missing("description") }
        guard let lines else { throw missing("lines") }
        guard let price else { throw missing("price") }
        guard let firstSold else { throw missing("first_sold") }
        guard let lastSold else { throw missing("last_sold") }
        guard let shard else { throw missing("shard") }
        guard let rowOffset else { throw missing("row_offset") }
        guard let rowCount else { throw missing("row_count") }
        return ProductRecord(stockcode: stockcode, description: description, lines: lines, price: price, firstSold: firstSold,
                             lastSold: lastSold, shard: shard, rowOffset: rowOffset, rowCount: rowCount)
    }

    private static func priceStats(_ scanner: inout JSONScanner, product: Int, file: String) throws(ArtifactError) -> PriceStats {
        let names = ["min", "p10", "median", "mean", "p90", "max", "last"]
        var values = [Double?](repeating: nil, count: names.count)
        try scanner.object { scanner, key throws(ArtifactError) in
            if let i = names.firstIndex(of: key) { values[i] = try scanner.double() } else { try scanner.skipValue() }
        }
        func value(_ i: Int) throws(ArtifactError) -> Double {
            guard let v = values[i] else {
                throw ArtifactError(file: file, .malformed("products[\(product)].price has no \"\(names[i])\""))
            }
            return v
        }
        return PriceStats(min: try value(0), p10: try value(1), median: try value(2), mean: try value(3),
                          p90: try value(4), max: try value(5), last: try value(6))
    }
}
